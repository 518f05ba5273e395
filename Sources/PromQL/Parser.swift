/// Recursive descent over the tokens, with precedence climbing for binary operators; every node is
/// type-checked as it is built, so errors point at the operand at fault.
struct Parser {
    let tokens: [Token]
    let source: [UInt8]
    var index = 0
    /// How many expressions are open around the current token (parentheses, arguments, operands).
    var depth = 0
    /// Deeper nesting is refused: the parser recurses, and a query is not worth a stack overflow.
    static let maximumDepth = 200

    init(tokens: [Token], source: [UInt8]) {
        self.tokens = tokens
        self.source = source
    }

    var current: Token { tokens[index] }
    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func error(_ message: String, at offset: Int, expected: String? = nil, hint: String? = nil) -> PromQLError {
        PromQLError(message, at: offset, in: source, expected: expected, hint: hint)
    }

    func unexpected(_ expected: String) -> PromQLError {
        error("unexpected \(current.described)", at: current.offset, expected: expected)
    }

    func isSymbol(_ symbol: Token.Symbol) -> Bool { current.kind == .symbol(symbol) }

    func isKeyword(_ keyword: String) -> Bool {
        if case .word(let word) = current.kind { return word.lowercased() == keyword }
        return false
    }

    mutating func expect(_ symbol: Token.Symbol, _ expected: String? = nil) throws(PromQLError) {
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

    mutating func parseExpression(minimumPrecedence: Int) throws(PromQLError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth { throw error("the query nests more than \(Self.maximumDepth) expressions deep", at: current.offset) }
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

    func binaryOperator() -> BinaryOperator? {
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

    mutating func parseBinaryModifiers(_ op: BinaryOperator) throws(PromQLError) -> (Bool, VectorMatching) {
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

    struct Located {
        var expression: Expr
        var offset: Int
    }

    func binary(
        _ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, returnsBool: Bool, matching: VectorMatching,
        at offset: Int, lhsOffset: Int, rhsOffset: Int
    ) throws(PromQLError) -> Located {
        let left = lhs.type
        let right = rhs.type
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
    mutating func parseUnary() throws(PromQLError) -> Located {
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

    static func article(_ type: ValueType) -> String {
        type == .instantVector ? "an instant vector" : "a \(type.rawValue)"
    }
}
