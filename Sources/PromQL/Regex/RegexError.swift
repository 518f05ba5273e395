/// Why a regular expression is refused, worded as Go's `regexp/syntax` (and so Prometheus)
/// words it: "error parsing regexp: missing argument to repetition operator: `*`". `expression`
/// is the part Go names; for the whole-pattern errors it is the pattern as Go parsed it (for a
/// label matcher, wrapped in `^(?:…)$`).
public struct RegexError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Go's error codes (Go 1.19, the Go of Debian's Prometheus 2.42), and our length bound.
    public enum Code: String, Hashable, Sendable {
        case invalidCharClass = "invalid character class"
        case invalidCharRange = "invalid character class range"
        case invalidEscape = "invalid escape sequence"
        case invalidNamedCapture = "invalid named capture"
        case invalidPerlOp = "invalid or unsupported Perl syntax"
        case invalidRepeatOp = "invalid nested repetition operator"
        case invalidRepeatSize = "invalid repeat count"
        case missingBracket = "missing closing ]"
        case missingParen = "missing closing )"
        case missingRepeatArgument = "missing argument to repetition operator"
        case trailingBackslash = "trailing backslash at end of expression"
        case unexpectedParen = "unexpected )"
        case nestingDepth = "expression nests too deeply"
        /// Go 1.19 reports a pattern whose program would pass 3.3 million instructions as an
        /// internal error (Go 1.20 calls it "expression too large").
        case tooLarge = "regexp/syntax: internal error"
        /// Ours, not Go's: a pattern longer than `PrometheusRegex.maxLength` is not read at all.
        case tooLong = "too long"
    }

    public var code: Code
    public var expression: String

    public init(_ code: Code, _ expression: String) {
        self.code = code
        self.expression = expression
    }

    public var description: String {
        if code == .tooLong {
            return "the regular expression is \(expression.utf8.count) bytes long; hpa-operator reads at most \(PrometheusRegex.maxLength)"
        }
        return "error parsing regexp: \(code.rawValue): `\(Self.shortened(expression))`"
    }

    /// How to write what was probably meant, where the code tells.
    public var hint: String? {
        switch code {
        case .missingRepeatArgument:
            "*, +, ? and {n} repeat what comes before them; any text is .* (a glob's *web* is .*web.* here)"
        case .invalidPerlOp:
            "Prometheus reads Go's RE2 syntax, which has no lookahead, lookbehind or atomic groups"
        case .invalidEscape where expression.count == 2 && expression.last?.isNumber == true:
            "Prometheus reads Go's RE2 syntax, which has no backreferences"
        case .invalidRepeatOp:
            "Prometheus reads Go's RE2 syntax, which has no possessive repetition: write a+ for a++"
        case .invalidRepeatSize:
            "a count is at most 1000, and counts nested inside each other at most 1000 multiplied"
        default:
            nil
        }
    }

    /// Long expressions (a whole pattern) keep their two ends.
    static func shortened(_ expression: String) -> String {
        guard expression.count > 120 else { return expression }
        return expression.prefix(70) + "…" + expression.suffix(40)
    }
}
