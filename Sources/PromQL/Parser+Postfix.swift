extension Parser {
    // Postfix: ranges, subqueries, offset and @, which bind tighter than any operator.

    mutating func parsePostfix(_ located: Located) throws(PromQLError) -> Located {
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

    func modify(
        _ expression: Expr, at offset: Int, _ what: String,
        _ change: (inout Int64?, inout AtModifier?) throws(PromQLError) -> Void
    ) throws(PromQLError) -> Expr {
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

    mutating func parseAtModifier() throws(PromQLError) -> AtModifier {
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

    mutating func parseDuration(_ expected: String) throws(PromQLError) -> Int64 {
        guard case .duration(let milliseconds) = current.kind else { throw unexpected(expected) }
        if milliseconds == 0 { throw error("duration must be greater than 0", at: current.offset) }
        advance()
        return milliseconds
    }
}
