/// Parses PromQL (Prometheus 2.x) into an `Expr`, with the type checks Prometheus makes
/// before evaluating: a query that parses here is one Prometheus accepts.
public enum PromQL {
    public static func parse(_ query: String) throws(PromQLError) -> Expr {
        var lexer = Lexer(query)
        var parser = Parser(tokens: try lexer.tokens(), source: lexer.source)
        return try parser.parseQuery()
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`: a label name as PromQL writes it.
    public static func isLabelName(_ name: String) -> Bool { Keywords.isLabelName(name) }

    /// A query whose value can be a metric: it parses and gives an instant vector or a scalar
    /// (a range vector or a string is never one number).
    public static func parseMetricQuery(_ query: String) throws(PromQLError) -> Expr {
        let expression = try parse(query)
        let type = expression.type
        guard type == .instantVector || type == .scalar else {
            throw PromQLError("the query gives \(Parser.article(type)), not one number", at: 0, in: Array(query.utf8),
                              hint: type == .rangeVector ? "wrap it in a function such as rate(…[5m]) or max_over_time(…[5m])" : "use a query that gives a number")
        }
        return expression
    }
}

struct Parser {
    let tokens: [Token]
    let source: [UInt8]
    private var index = 0

    init(tokens: [Token], source: [UInt8]) {
        self.tokens = tokens
        self.source = source
    }

    private var current: Token { tokens[index] }
    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func error(_ message: String, at offset: Int, expected: String? = nil, hint: String? = nil) -> PromQLError {
        PromQLError(message, at: offset, in: source, expected: expected, hint: hint)
    }

    private func unexpected(_ expected: String) -> PromQLError {
        error("unexpected \(current.described)", at: current.offset, expected: expected)
    }

    private func isSymbol(_ symbol: Token.Symbol) -> Bool { current.kind == .symbol(symbol) }

    private func isKeyword(_ keyword: String) -> Bool {
        if case .word(let word) = current.kind { return word.lowercased() == keyword }
        return false
    }

    private mutating func expect(_ symbol: Token.Symbol, _ expected: String? = nil) throws(PromQLError) {
        guard isSymbol(symbol) else { throw unexpected(expected ?? "\"\(symbol.rawValue)\"") }
        advance()
    }

    mutating func parseQuery() throws(PromQLError) -> Expr {
        if current.kind == .end { throw error("the query is empty", at: 0, expected: "an expression") }
        let expression = try parseExpression(minimumPrecedence: 1)
        guard current.kind == .end else { throw unexpected("an operator or the end of the query") }
        return expression
    }

    // MARK: Binary and unary operators

    private mutating func parseExpression(minimumPrecedence: Int) throws(PromQLError) -> Expr {
        var lhs = try parseUnary()
        while let op = binaryOperator(), op.precedence >= minimumPrecedence {
            let opOffset = current.offset
            advance()
            let (returnsBool, matching) = try parseBinaryModifiers(op)
            let rhsOffset = current.offset
            let rhs = try parseExpression(minimumPrecedence: op == .power ? op.precedence : op.precedence + 1)
            lhs = try binary(op, lhs.expression, rhs, returnsBool: returnsBool, matching: matching, at: opOffset, lhsOffset: lhs.offset, rhsOffset: rhsOffset)
        }
        return lhs.expression
    }

    private func binaryOperator() -> BinaryOperator? {
        switch current.kind {
        case .symbol(let symbol):
            switch symbol {
            case .plus: .add
            case .minus: .subtract
            case .star: .multiply
            case .slash: .divide
            case .percent: .modulo
            case .caret: .power
            case .equalEqual: .equal
            case .notEqual: .notEqual
            case .less: .less
            case .lessOrEqual: .lessOrEqual
            case .greater: .greater
            case .greaterOrEqual: .greaterOrEqual
            default: nil
            }
        case .word(let word):
            switch word.lowercased() {
            case "and": .and
            case "or": .or
            case "unless": .unless
            case "atan2": .atan2
            default: nil
            }
        default: nil
        }
    }

    private mutating func parseBinaryModifiers(_ op: BinaryOperator) throws(PromQLError) -> (Bool, VectorMatching) {
        var returnsBool = false
        if isKeyword("bool") {
            guard op.isComparison else { throw error("bool modifier can only be used on comparison operators", at: current.offset) }
            returnsBool = true
            advance()
        }
        var matching = VectorMatching(cardinality: op.isSetOperator ? .manyToMany : .oneToOne)
        guard isKeyword("on") || isKeyword("ignoring") else { return (returnsBool, matching) }
        matching.on = isKeyword("on")
        advance()
        matching.labels = try parseGroupingLabels()
        if isKeyword("group_left") || isKeyword("group_right") {
            let offset = current.offset
            if op.isSetOperator { throw error("no grouping allowed for \"\(op.rawValue)\" operation", at: offset) }
            matching.cardinality = isKeyword("group_left") ? .manyToOne : .oneToMany
            advance()
            if isSymbol(.leftParen) { matching.include = try parseGroupingLabels() }
            if matching.on, let both = matching.labels.first(where: matching.include.contains) {
                throw error("label \"\(both)\" must not occur in ON and GROUP clause at once", at: offset)
            }
        }
        return (returnsBool, matching)
    }

    private struct Located {
        var expression: Expr
        var offset: Int
    }

    private func binary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, returnsBool: Bool, matching: VectorMatching,
                        at offset: Int, lhsOffset: Int, rhsOffset: Int) throws(PromQLError) -> Located {
        let left = lhs.type, right = rhs.type
        for (type, at) in [(left, lhsOffset), (right, rhsOffset)] where type != .scalar && type != .instantVector {
            throw error("binary expression must contain only scalar and instant vector types, not \(Self.article(type))", at: at)
        }
        if op.isComparison, !returnsBool, left == .scalar, right == .scalar {
            throw error("comparisons between scalars must use the bool modifier", at: offset)
        }
        if op.isSetOperator, left == .scalar || right == .scalar {
            throw error("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: offset)
        }
        var kept: VectorMatching? = matching
        if left != .instantVector || right != .instantVector {
            if !matching.labels.isEmpty { throw error("vector matching only allowed between instant vectors", at: offset) }
            kept = nil
        }
        return Located(expression: .binary(BinaryOperation(op: op, lhs: lhs, rhs: rhs, returnsBool: returnsBool, matching: kept)), offset: lhsOffset)
    }

    /// `-x` binds like `*`: tighter than `+`, looser than `^` (`-2^2` is -4).
    private mutating func parseUnary() throws(PromQLError) -> Located {
        let offset = current.offset
        let op: UnaryOperator
        if isSymbol(.minus) { op = .minus } else if isSymbol(.plus) { op = .plus } else { return try parsePostfix(parsePrimary()) }
        advance()
        let operandOffset = current.offset
        let operand = try parseExpression(minimumPrecedence: BinaryOperator.power.precedence)
        if case .number(let literal) = operand {
            return Located(expression: .number(NumberLiteral(op == .minus ? -literal.value : literal.value)), offset: offset)
        }
        let type = operand.type
        guard type == .scalar || type == .instantVector else {
            throw error("unary expression only allowed on expressions of type scalar or instant vector, not \(Self.article(type))", at: operandOffset)
        }
        return Located(expression: .unary(op, operand), offset: offset)
    }

    // MARK: Postfix: ranges, subqueries, offset, @

    private mutating func parsePostfix(_ located: Located) throws(PromQLError) -> Located {
        var expression = located.expression
        while true {
            let offset = current.offset
            if isSymbol(.leftBracket) {
                advance()
                let range = try parseDuration("a range such as 5m")
                if isSymbol(.colon) {
                    advance()
                    var step: Int64?
                    if case .duration = current.kind { step = try parseDuration("a step or \"]\"") }
                    try expect(.rightBracket, step == nil ? "a step or \"]\"" : "\"]\"")
                    guard expression.type == .instantVector else {
                        throw error("subquery is only allowed on an instant vector, not \(Self.article(expression.type))", at: offset)
                    }
                    expression = .subquery(Subquery(expression: expression, range: range, step: step))
                } else {
                    try expect(.rightBracket, "\":\" or \"]\"")
                    guard case .vector(let selector) = expression else {
                        throw error("ranges only allowed for vector selectors", at: offset, hint: "other expressions take a subquery such as [5m:1m]")
                    }
                    if selector.offset != nil { throw error("no offset modifiers allowed before range", at: offset) }
                    if selector.at != nil { throw error("no @ modifiers allowed before range", at: offset) }
                    expression = .matrix(MatrixSelector(selector: selector, range: range))
                }
            } else if isKeyword("offset") {
                advance()
                let negative = isSymbol(.minus)
                if negative { advance() }
                let duration = try parseDuration("a duration such as 5m")
                expression = try modify(expression, at: offset, "offset") { (offset: inout Int64?, _: inout AtModifier?) throws(PromQLError) in
                    if offset != nil { throw self.error("offset may not be set multiple times", at: located.offset) }
                    offset = negative ? -duration : duration
                }
            } else if isSymbol(.at) {
                advance()
                let at = try parseAtModifier()
                expression = try modify(expression, at: offset, "@") { (_: inout Int64?, existing: inout AtModifier?) throws(PromQLError) in
                    if existing != nil { throw self.error("@ may not be set multiple times", at: located.offset) }
                    existing = at
                }
            } else {
                return Located(expression: expression, offset: located.offset)
            }
        }
    }

    private func modify(_ expression: Expr, at offset: Int, _ what: String,
                        _ change: (inout Int64?, inout AtModifier?) throws(PromQLError) -> Void) throws(PromQLError) -> Expr {
        switch expression {
        case .vector(var selector):
            try change(&selector.offset, &selector.at)
            return .vector(selector)
        case .matrix(var matrix):
            try change(&matrix.selector.offset, &matrix.selector.at)
            return .matrix(matrix)
        case .subquery(var subquery):
            try change(&subquery.offset, &subquery.at)
            return .subquery(subquery)
        default:
            throw error("\(what) modifier must be preceded by an instant vector selector or range vector selector or a subquery", at: offset)
        }
    }

    private mutating func parseAtModifier() throws(PromQLError) -> AtModifier {
        if isKeyword("start") || isKeyword("end") {
            let modifier: AtModifier = isKeyword("start") ? .start : .end
            advance()
            try expect(.leftParen)
            try expect(.rightParen)
            return modifier
        }
        let offset = current.offset
        var sign = 1.0
        if isSymbol(.minus) || isSymbol(.plus) {
            sign = isSymbol(.minus) ? -1 : 1
            advance()
        }
        guard case .number(let value) = current.kind else { throw unexpected("a timestamp, start() or end()") }
        advance()
        let milliseconds = (sign * value * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 9.2e18 else { throw error("timestamp out of bounds for @ modifier", at: offset) }
        return .time(Int64(milliseconds))
    }

    private mutating func parseDuration(_ expected: String) throws(PromQLError) -> Int64 {
        guard case .duration(let milliseconds) = current.kind else { throw unexpected(expected) }
        if milliseconds == 0 { throw error("duration must be greater than 0", at: current.offset) }
        advance()
        return milliseconds
    }

    // MARK: Primaries

    private mutating func parsePrimary() throws(PromQLError) -> Located {
        let offset = current.offset
        switch current.kind {
        case .number(let value):
            advance()
            return Located(expression: .number(NumberLiteral(value)), offset: offset)
        case .string(let value):
            advance()
            return Located(expression: .string(value), offset: offset)
        case .symbol(.leftParen):
            advance()
            let inner = try parseExpression(minimumPrecedence: 1)
            try expect(.rightParen, "an operator or \")\"")
            return Located(expression: .parenthesized(inner), offset: offset)
        case .symbol(.leftBrace):
            return Located(expression: .vector(try parseSelector(name: nil, at: offset)), offset: offset)
        case .word(let word):
            let lower = word.lowercased()
            let following = tokens[min(index + 1, tokens.count - 1)].kind
            let opensCall = following == .symbol(.leftParen)
            if let op = Aggregation.Operator(rawValue: lower) {
                if case .word(let next) = following, ["by", "without"].contains(next.lowercased()) {
                    return Located(expression: try parseAggregation(op, at: offset), offset: offset)
                }
                if opensCall { return Located(expression: try parseAggregation(op, at: offset), offset: offset) }
            }
            let keyword = Keywords.isKeyword(word)
            if keyword, !Keywords.canNameMetric(word) { throw unexpected("an expression") }
            advance()
            if opensCall, !keyword {
                guard let function = PromQLFunction.named(word) else {
                    throw error("unknown function \"\(word)\"", at: offset)
                }
                return Located(expression: try parseCall(function, at: offset), offset: offset)
            }
            return Located(expression: .vector(try parseSelector(name: word, at: offset)), offset: offset)
        default:
            throw unexpected("an expression")
        }
    }

    private mutating func parseArguments() throws(PromQLError) -> [Located] {
        try expect(.leftParen)
        var arguments: [Located] = []
        if isSymbol(.rightParen) {
            advance()
            return arguments
        }
        while true {
            let offset = current.offset
            arguments.append(Located(expression: try parseExpression(minimumPrecedence: 1), offset: offset))
            if isSymbol(.rightParen) {
                advance()
                return arguments
            }
            try expect(.comma, "\",\" or \")\"")
            if isSymbol(.rightParen) { throw error("trailing commas not allowed in function call args", at: current.offset, expected: "an expression") }
        }
    }

    private mutating func parseCall(_ function: PromQLFunction, at offset: Int) throws(PromQLError) -> Expr {
        let arguments = try parseArguments()
        let declared = function.arguments.count
        let name = "\"\(function.name)\""
        if function.variadic == 0, arguments.count != declared {
            throw error("expected \(declared) argument(s) in call to \(name), got \(arguments.count)", at: offset)
        }
        if function.variadic != 0 {
            if arguments.count < declared - 1 {
                throw error("expected at least \(declared - 1) argument(s) in call to \(name), got \(arguments.count)", at: offset)
            }
            if function.variadic > 0, arguments.count > declared - 1 + function.variadic {
                throw error("expected at most \(declared - 1 + function.variadic) argument(s) in call to \(name), got \(arguments.count)", at: offset)
            }
        }
        for (position, argument) in arguments.enumerated() {
            let want = function.arguments[min(position, declared - 1)]
            try expectType(argument, want, "call to function \(name)")
        }
        return .call(Call(function: function.name, arguments: arguments.map(\.expression)))
    }

    private func expectType(_ located: Located, _ want: ValueType, _ context: String) throws(PromQLError) {
        let type = located.expression.type
        guard type != want else { return }
        var hint: String?
        if want == .rangeVector, type == .instantVector { hint = "add a range such as [5m] after the selector" }
        throw error("expected \(Self.article(want)) in \(context), got \(Self.article(type))", at: located.offset, hint: hint)
    }

    private mutating func parseAggregation(_ op: Aggregation.Operator, at offset: Int) throws(PromQLError) -> Expr {
        advance()
        var grouping = try parseGrouping()
        guard isSymbol(.leftParen) else { throw unexpected("\"(\"") }
        let arguments = try parseArguments()
        if grouping == nil { grouping = try parseGrouping() }
        let wanted = op.takesParameter ? 2 : 1
        guard arguments.count == wanted else {
            throw error("wrong number of arguments for aggregation \"\(op.rawValue)\": expected \(wanted), got \(arguments.count)", at: offset)
        }
        let expression = arguments[wanted - 1]
        try expectType(expression, .instantVector, "aggregation expression")
        var parameter: Expr?
        if op.takesParameter {
            try expectType(arguments[0], op == .countValues ? .string : .scalar, "aggregation parameter")
            parameter = arguments[0].expression
        }
        if case .by(let labels) = grouping, labels.isEmpty { grouping = nil }
        return .aggregation(Aggregation(op: op, parameter: parameter, expression: expression.expression, grouping: grouping))
    }

    private mutating func parseGrouping() throws(PromQLError) -> Aggregation.Grouping? {
        if isKeyword("by") {
            advance()
            return .by(try parseGroupingLabels())
        }
        if isKeyword("without") {
            advance()
            return .without(try parseGroupingLabels())
        }
        return nil
    }

    /// `(a, b)`, `()`, `(a,)`: label names, keywords included.
    private mutating func parseGroupingLabels() throws(PromQLError) -> [String] {
        try expect(.leftParen, "\"(\" and a list of labels")
        var labels: [String] = []
        while !isSymbol(.rightParen) {
            guard case .word(let word) = current.kind, Keywords.isLabelName(word) else { throw unexpected("a label name or \")\"") }
            labels.append(word)
            advance()
            if isSymbol(.comma) { advance() } else if !isSymbol(.rightParen) { throw unexpected("\",\" or \")\"") }
        }
        advance()
        return labels
    }

    /// `name`, `name{…}` or `{…}`, with Prometheus's checks: the name once, and something that
    /// cannot match the empty string (so a typo never selects every series).
    private mutating func parseSelector(name: String?, at offset: Int) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        if isSymbol(.leftBrace) {
            advance()
            while !isSymbol(.rightBrace) {
                guard case .word(let label) = current.kind else { throw unexpected("a label name or \"}\"") }
                advance()
                let op: LabelMatcher.Operator
                switch current.kind {
                case .symbol(.assign): op = .equal
                case .symbol(.notEqual): op = .notEqual
                case .symbol(.regexMatch): op = .regexMatch
                case .symbol(.regexNoMatch): op = .regexNoMatch
                default: throw unexpected("a label matching operator (=, !=, =~, !~)")
                }
                advance()
                guard case .string(let value) = current.kind else { throw unexpected("a quoted string") }
                advance()
                matchers.append(LabelMatcher(label, op, value))
                if isSymbol(.comma) { advance() } else if !isSymbol(.rightBrace) { throw unexpected("\",\" or \"}\"") }
            }
            advance()
        }
        if let name {
            if let named = matchers.first(where: { $0.name == "__name__" }) {
                throw error("metric name must not be set twice: \"\(name)\" or \"\(named.value)\"", at: offset)
            }
        } else if !matchers.contains(where: { !$0.matchesEmpty }) {
            throw error("vector selector must contain at least one non-empty matcher", at: offset,
                        hint: "name a metric, or add a matcher such as job=\"api\" that cannot match the empty string")
        }
        return VectorSelector(name: name, matchers: matchers)
    }

    static func article(_ type: ValueType) -> String {
        type == .instantVector ? "an instant vector" : "a \(type.rawValue)"
    }
}

extension LabelMatcher {
    /// Whether the matcher accepts a missing label (the empty value). Regular expressions are
    /// anchored, as Prometheus anchors them; a pattern Swift cannot read counts as not matching.
    var matchesEmpty: Bool {
        switch op {
        case .equal: return value.isEmpty
        case .notEqual: return !value.isEmpty
        case .regexMatch, .regexNoMatch:
            let matches = (try? Regex("^(?:" + value + ")$")).map { "".wholeMatch(of: $0) != nil }
            guard let matches else { return false }
            return op == .regexMatch ? matches : !matches
        }
    }
}

extension Expr {
    /// The type Prometheus gives the expression's value.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vector, .aggregation: .instantVector
        case .matrix, .subquery: .rangeVector
        case .call(let call): PromQLFunction.named(call.function)?.returns ?? .instantVector
        case .binary(let operation): operation.lhs.type == .scalar && operation.rhs.type == .scalar ? .scalar : .instantVector
        case .unary(_, let operand), .parenthesized(let operand): operand.type
        }
    }
}
