/// PromQL's keywords (case-insensitive, as in Prometheus's lexer). Inside `{…}` and in grouping
/// lists they are plain label names.
enum Keywords {
    static let words = Set(
        [
            "and", "or", "unless", "atan2", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "start", "end",
        ] + Aggregation.Operator.allCases.map(\.rawValue))

    static func isKeyword(_ word: String) -> Bool { words.contains(word.lowercased()) }

    /// Keywords Prometheus also reads as a metric name where an expression starts (`sum`, `by`,
    /// `offset{a="b"}`); the binary-operator modifiers and `atan2` are not among them.
    static func canNameMetric(_ word: String) -> Bool {
        !["atan2", "on", "ignoring", "group_left", "group_right", "bool"].contains(word.lowercased())
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func isLabelName(_ word: String) -> Bool {
        guard let first = word.utf8.first, Lexer.isAlpha(first) else { return false }
        return word.utf8.allSatisfy { Lexer.isAlpha($0) || Lexer.isDigit($0) }
    }
}
