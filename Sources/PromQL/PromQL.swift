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
            throw PromQLError(
                "the query gives \(Parser.article(type)), not one number", at: 0, in: Array(query.utf8),
                hint: type == .rangeVector ? "wrap it in a function such as rate(…[5m]) or max_over_time(…[5m])" : "use a query that gives a number")
        }
        return expression
    }
}
