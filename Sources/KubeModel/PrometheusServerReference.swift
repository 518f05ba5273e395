/// How configuration names a Prometheus server: an http(s) URL, or an alias of a server the
/// operator was configured with (`--prometheus-server-alias NAME=URL`). The one rule for both,
/// read by the annotation parser, the collector and the command line alike.
public enum PrometheusServerReference: Hashable, Sendable {
    case url(String)
    case alias(String)

    /// nil when the text is neither a URL nor an alias.
    public init?(_ text: String) {
        if Self.isURL(text) {
            self = .url(text)
        } else if Self.isAlias(text) {
            self = .alias(text)
        } else {
            return nil
        }
    }

    /// `http://` or `https://` (any case), then a host: not empty, not a path, no spaces.
    public static func isURL(_ text: String) -> Bool {
        for scheme in ["http://", "https://"] where text.lowercased().hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            return !rest.isEmpty && !rest.hasPrefix("/") && !rest.contains(where: \.isWhitespace)
        }
        return false
    }

    /// Letters, digits, `-`, `_` and `.`, at most 63.
    public static func isAlias(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 63 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
