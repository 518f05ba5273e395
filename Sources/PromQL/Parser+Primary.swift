extension Parser {
    // Primaries: literals, parentheses, selectors, calls and aggregations.

    mutating func parsePrimary() throws(PromQLError) -> Located {
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

    mutating func parseArguments() throws(PromQLError) -> [Located] {
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

    mutating func parseCall(_ function: PromQLFunction, at offset: Int) throws(PromQLError) -> Expr {
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

    func expectType(_ located: Located, _ want: ValueType, _ context: String) throws(PromQLError) {
        let type = located.expression.type
        guard type != want else { return }
        var hint: String?
        if want == .rangeVector, type == .instantVector { hint = "add a range such as [5m] after the selector" }
        throw error("expected \(Self.article(want)) in \(context), got \(Self.article(type))", at: located.offset, hint: hint)
    }

    mutating func parseAggregation(_ op: Aggregation.Operator, at offset: Int) throws(PromQLError) -> Expr {
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
            try expectType(arguments[0], op.parameterType ?? .scalar, "aggregation parameter")
            parameter = arguments[0].expression
        }
        if case .by(let labels) = grouping, labels.isEmpty { grouping = nil }
        return .aggregation(Aggregation(op: op, parameter: parameter, expression: expression.expression, grouping: grouping))
    }

    mutating func parseGrouping() throws(PromQLError) -> Aggregation.Grouping? {
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
    mutating func parseGroupingLabels() throws(PromQLError) -> [String] {
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
    mutating func parseSelector(name: String?, at offset: Int) throws(PromQLError) -> VectorSelector {
        var matchers: [LabelMatcher] = []
        var matchEmpty: [Bool] = []
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
                let matcher = LabelMatcher(label, op, value)
                matchEmpty.append(try matchesEmpty(matcher, at: current.offset))
                advance()
                matchers.append(matcher)
                if isSymbol(.comma) { advance() } else if !isSymbol(.rightBrace) { throw unexpected("\",\" or \"}\"") }
            }
            advance()
        }
        if let name {
            if let named = matchers.first(where: { $0.name == "__name__" }) {
                throw error("metric name must not be set twice: \"\(name)\" or \"\(named.value)\"", at: offset)
            }
        } else if !matchEmpty.contains(false) {
            throw error(
                "vector selector must contain at least one non-empty matcher", at: offset,
                hint: "name a metric, or add a matcher such as job=\"api\" that cannot match the empty string")
        }
        return VectorSelector(name: name, matchers: matchers)
    }

    /// Whether the matcher accepts a missing label (the empty value). A regular expression is
    /// read as Prometheus reads it, and refused with Go's words where Prometheus refuses it.
    func matchesEmpty(_ matcher: LabelMatcher, at offset: Int) throws(PromQLError) -> Bool {
        switch matcher.op {
        case .equal: return matcher.value.isEmpty
        case .notEqual: return !matcher.value.isEmpty
        case .regexMatch, .regexNoMatch:
            do {
                let regex = try PrometheusRegex(matcher.value)
                return regex.matchesEmpty == (matcher.op == .regexMatch)
            } catch {
                throw self.error(error.description, at: offset, hint: error.hint)
            }
        }
    }
}
