/// Text from outside (Prometheus errors, HTTP error bodies, values from manifests) made fit to
/// echo into logs, Events and `kubectl describe`: control characters, ANSI escapes and bidi
/// overrides removed, runs of whitespace (newlines included) made one space, and at most `limit`
/// characters kept, with `…` where it was cut. The one place this is done.
public enum ExternalText {
    public static let defaultLimit = 300

    public static func sanitized(_ text: some StringProtocol, limit: Int = defaultLimit) -> String {
        var result = ""
        result.reserveCapacity(min(text.utf8.count, limit + 1))
        var count = 0
        var pendingSpace = false
        var escape = false
        for scalar in text.unicodeScalars {
            if escape {
                // ESC [ … final byte: skip the whole CSI sequence.
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { escape = false }
                continue
            }
            if scalar == "\u{1B}" {
                escape = true
                continue
            }
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F {
                pendingSpace = !result.isEmpty
                continue
            }
            // Bidi controls and other format characters that would reorder or hide text.
            if scalar.properties.generalCategory == .format || (0x80...0x9F).contains(scalar.value) { continue }
            if pendingSpace {
                guard count < limit else { return result + "…" }
                result.unicodeScalars.append(" ")
                count += 1
                pendingSpace = false
            }
            guard count < limit else { return result + "…" }
            result.unicodeScalars.append(scalar)
            count += 1
        }
        return result
    }
}
