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
