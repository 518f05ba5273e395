/// Metric names taken from annotation keys: RFC 1123 labels, case kept.
public enum MetricName {
    public static func isValid(_ name: String) -> Bool {
        guard (1...63).contains(name.count), let first = name.first, let last = name.last else { return false }
        return first.isASCIIAlphanumeric && last.isASCIIAlphanumeric && name.allSatisfy { $0.isASCIIAlphanumeric || $0 == "-" }
    }
}

extension Character {
    var isASCIIAlphanumeric: Bool { isASCII && (isLetter || isNumber) }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
