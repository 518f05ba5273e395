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
