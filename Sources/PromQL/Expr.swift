/// A parsed PromQL expression (Prometheus 2.x). Printing one (`description`) gives a query that
/// Prometheus parses to the same tree.
public indirect enum Expr: Hashable, Sendable {
    case number(NumberLiteral)
    case string(String)
    case vector(VectorSelector)
    case matrix(MatrixSelector)
    case subquery(Subquery)
    case call(Call)
    case aggregation(Aggregation)
    case binary(BinaryOperation)
    /// `-x` or `+x` on anything but a number literal (a signed literal is folded into the number).
    case unary(UnaryOperator, Expr)
    case parenthesized(Expr)
}

/// A float literal. Equal when the bits are, so `NaN` equals `NaN` (round trips compare trees).
public struct NumberLiteral: Hashable, Sendable {
    public var value: Double

    public init(_ value: Double) { self.value = value }

    public static func == (a: NumberLiteral, b: NumberLiteral) -> Bool {
        a.value.bitPattern == b.value.bitPattern || (a.value.isNaN && b.value.isNaN)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
    }
}

public enum UnaryOperator: String, Hashable, Sendable {
    case minus = "-"
    case plus = "+"
}

/// `name{label="value", …}` with its modifiers. Durations and times are milliseconds.
public struct VectorSelector: Hashable, Sendable {
    /// The name written before the braces (nil for `{__name__="…"}` or a name-less selector).
    public var name: String?
    public var matchers: [LabelMatcher]
    /// `offset 5m` (negative: `offset -5m`); never zero.
    public var offset: Int64?
    public var at: AtModifier?

    public init(name: String?, matchers: [LabelMatcher] = [], offset: Int64? = nil, at: AtModifier? = nil) {
        self.name = name
        self.matchers = matchers
        self.offset = offset
        self.at = at
    }
}

public struct LabelMatcher: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public var name: String
    public var op: Operator
    public var value: String

    public init(_ name: String, _ op: Operator, _ value: String) {
        self.name = name
        self.op = op
        self.value = value
    }
}

/// `@ 1700000000.123`, `@ start()`, `@ end()`.
public enum AtModifier: Hashable, Sendable {
    /// Milliseconds since the epoch.
    case time(Int64)
    case start
    case end
}

/// `selector[5m]`: the selector keeps the offset and `@`, printed after the range.
public struct MatrixSelector: Hashable, Sendable {
    public var selector: VectorSelector
    public var range: Int64

    public init(selector: VectorSelector, range: Int64) {
        self.selector = selector
        self.range = range
    }
}

/// `expression[30m:1m]` (no step: the evaluation interval).
public struct Subquery: Hashable, Sendable {
    public var expression: Expr
    public var range: Int64
    public var step: Int64?
    public var offset: Int64?
    public var at: AtModifier?

    public init(expression: Expr, range: Int64, step: Int64?, offset: Int64? = nil, at: AtModifier? = nil) {
        self.expression = expression
        self.range = range
        self.step = step
        self.offset = offset
        self.at = at
    }
}

public struct Call: Hashable, Sendable {
    public var function: String
    public var arguments: [Expr]

    public init(function: String, arguments: [Expr]) {
        self.function = function
        self.arguments = arguments
    }
}

public struct Aggregation: Hashable, Sendable {
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
        case countValues = "count_values"
        case quantile
        /// Prometheus 2.54+, experimental.
        case limitk
        case limitRatio = "limit_ratio"

        /// What Prometheus release it needs, past 2.42.
        public var requirement: QueryRequirement? {
            switch self {
            case .limitk, .limitRatio: QueryRequirement(feature: rawValue, since: PrometheusVersion(2, 54), experimental: true)
            default: nil
            }
        }

        /// `topk(5, x)`, `quantile(0.9, x)`, `count_values("label", x)`, `limitk(2, x)`.
        public var takesParameter: Bool { parameterType != nil }

        /// The parameter's type: a string for `count_values`, else a scalar; nil without one.
        var parameterType: ValueType? {
            switch self {
            case .topk, .bottomk, .quantile, .limitk, .limitRatio: .scalar
            case .countValues: .string
            default: nil
            }
        }
    }

    public enum Grouping: Hashable, Sendable {
        case by([String])
        case without([String])
    }

    public var op: Operator
    public var parameter: Expr?
    public var expression: Expr
    /// nil: no `by` or `without` (an empty `by ()` means the same and is read as nil).
    public var grouping: Grouping?

    public init(op: Operator, parameter: Expr? = nil, expression: Expr, grouping: Grouping? = nil) {
        self.op = op
        self.parameter = parameter
        self.expression = expression
        self.grouping = grouping
    }
}

public struct BinaryOperation: Hashable, Sendable {
    public var op: BinaryOperator
    public var lhs: Expr
    public var rhs: Expr
    /// `> bool`.
    public var returnsBool: Bool
    /// `on`/`ignoring` and `group_left`/`group_right`; nil unless both sides are instant vectors.
    public var matching: VectorMatching?

    public init(op: BinaryOperator, lhs: Expr, rhs: Expr, returnsBool: Bool = false, matching: VectorMatching? = nil) {
        self.op = op
        self.lhs = lhs
        self.rhs = rhs
        self.returnsBool = returnsBool
        self.matching = matching
    }
}

public enum BinaryOperator: String, Hashable, Sendable, CaseIterable {
    case or, and, unless
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
    case atan2
    case power = "^"

    /// Higher binds tighter; `^` alone is right-associative.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: 3
        case .add, .subtract: 4
        case .multiply, .divide, .modulo, .atan2: 5
        case .power: 6
        }
    }

    public var isComparison: Bool { precedence == 3 }
    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

public struct VectorMatching: Hashable, Sendable {
    public enum Cardinality: Hashable, Sendable {
        case oneToOne, manyToOne, oneToMany, manyToMany
    }

    public var cardinality: Cardinality
    /// `on (…)` when true, `ignoring (…)` when false (with no labels: neither was written).
    public var on: Bool
    public var labels: [String]
    /// The labels of `group_left (…)` / `group_right (…)`.
    public var include: [String]

    public init(cardinality: Cardinality, on: Bool = false, labels: [String] = [], include: [String] = []) {
        self.cardinality = cardinality
        self.on = on
        self.labels = labels
        self.include = include
    }
}

/// What an expression evaluates to.
public enum ValueType: String, Hashable, Sendable {
    case scalar
    case instantVector = "instant vector"
    case rangeVector = "range vector"
    case string
}
