/// A label matcher's regular expression (`=~`, `!~`) as Prometheus reads it: Go's RE2 syntax
/// (`regexp/syntax` with Perl flags, as in Go 1.19, the Go of Debian's Prometheus 2.42), the
/// pattern wrapped as `^(?:pattern)$` and then read alone too. What Prometheus refuses is
/// refused here with Go's words; nothing is ever matched against text, so no pattern costs more
/// than time and memory linear in its length.
public struct PrometheusRegex: Hashable, Sendable {
    /// Our bound on a pattern's length (Prometheus has none): far past any label value a query
    /// needs, small enough that reading one costs little.
    public static let maxLength = 32_768

    /// Whether the anchored pattern matches the empty text, so also a missing label.
    public let matchesEmpty: Bool
    /// The one text the pattern matches, when it is literal text (`team-a`, `team\.a`,
    /// `\Qteam.a\E`), else nil.
    public let literal: String?

    public init(_ pattern: String) throws(RegexError) {
        guard pattern.utf8.count <= Self.maxLength else { throw RegexError(.tooLong, pattern) }
        // Prometheus compiles the anchored form first (its errors name that form), then parses
        // the pattern alone, which refuses what only the wrapping balances: `a)(b`.
        let anchored = try RegexParser.parse("^(?:" + pattern + ")$")
        let alone = try RegexParser.parse(pattern)
        matchesEmpty = anchored.fragment.matchesEmpty
        literal = alone.text
    }
}
