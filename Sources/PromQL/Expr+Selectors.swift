extension Expr {
    /// The expression with every vector selector (those of range selectors too) replaced by
    /// `transform`'s answer, in the order they are written.
    public func mapSelectors<E: Error>(_ transform: (VectorSelector) throws(E) -> VectorSelector) throws(E) -> Expr {
        switch self {
        case .number, .string: return self
        case .vector(let selector): return .vector(try transform(selector))
        case .matrix(var matrix):
            matrix.selector = try transform(matrix.selector)
            return .matrix(matrix)
        case .subquery(var subquery):
            subquery.expression = try subquery.expression.mapSelectors(transform)
            return .subquery(subquery)
        case .call(var call):
            var arguments: [Expr] = []
            for argument in call.arguments { arguments.append(try argument.mapSelectors(transform)) }
            call.arguments = arguments
            return .call(call)
        case .aggregation(var aggregation):
            aggregation.parameter = try aggregation.parameter?.mapSelectors(transform)
            aggregation.expression = try aggregation.expression.mapSelectors(transform)
            return .aggregation(aggregation)
        case .binary(var operation):
            operation.lhs = try operation.lhs.mapSelectors(transform)
            operation.rhs = try operation.rhs.mapSelectors(transform)
            return .binary(operation)
        case .unary(let op, let operand): return .unary(op, try operand.mapSelectors(transform))
        case .parenthesized(let inner): return .parenthesized(try inner.mapSelectors(transform))
        }
    }

    /// The first call, outermost and leftmost first, that `predicate` accepts.
    public func firstCall(where predicate: (Call) -> Bool) -> Call? {
        switch self {
        case .number, .string, .vector, .matrix: return nil
        case .subquery(let subquery): return subquery.expression.firstCall(where: predicate)
        case .call(let call):
            if predicate(call) { return call }
            for argument in call.arguments {
                if let found = argument.firstCall(where: predicate) { return found }
            }
            return nil
        case .aggregation(let aggregation):
            if let found = aggregation.parameter?.firstCall(where: predicate) { return found }
            return aggregation.expression.firstCall(where: predicate)
        case .binary(let operation):
            if let found = operation.lhs.firstCall(where: predicate) { return found }
            return operation.rhs.firstCall(where: predicate)
        case .unary(_, let operand), .parenthesized(let operand): return operand.firstCall(where: predicate)
        }
    }
}
