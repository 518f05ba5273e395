import Foundation

/// RFC 3339 times as Kubernetes writes them, in UTC: `metav1.Time` with whole seconds, and
/// `metav1.MicroTime` (Lease renewals) with microseconds. The one place times are written and read.
public enum Timestamp {
    /// Unix seconds from 0001-01-01 to 9999-12-31: what RFC 3339 can write. Outside it (a number
    /// from outside: a Prometheus sample time, a `--time`), nothing is converted.
    public static let representable: ClosedRange<Double> = -62_135_596_800...253_402_300_799

    /// True when `seconds` is a time RFC 3339 can write.
    public static func isRepresentable(_ seconds: Double) -> Bool { seconds.isFinite && representable.contains(seconds) }

    /// `2024-05-01T12:00:00Z`. Built by hand: it is on the metrics API's hot path, where
    /// Foundation's formatters cost more than the rest of an answer.
    public static func rfc3339(_ date: Date) -> String {
        var text = wholeSeconds(date)
        text += "Z"
        return text
    }

    /// `2024-05-01T12:00:00.123456Z`.
    public static func rfc3339Micro(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let fraction = date.timeIntervalSince1970 - seconds
        let micros = fraction.isFinite ? min(max(Int((fraction * 1_000_000).rounded(.down)), 0), 999_999) : 0
        var text = wholeSeconds(date)
        text += "." + padded(micros, digits: 6) + "Z"
        return text
    }

    /// RFC 3339 with fractional seconds when the instant has them.
    public static func rfc3339(_ date: Date, fractional: Bool) -> String {
        guard fractional else { return rfc3339(date) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.string(from: date)
    }

    /// Reads RFC 3339, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    private static func wholeSeconds(_ date: Date) -> String {
        let clamped = min(max(date.timeIntervalSince1970.isFinite ? date.timeIntervalSince1970 : 0, representable.lowerBound), representable.upperBound)
        var seconds = time_t(clamped.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = ""
        text.reserveCapacity(28)
        text += padded(Int(parts.tm_year) + 1900, digits: 4) + "-" + padded(Int(parts.tm_mon) + 1, digits: 2) + "-" + padded(Int(parts.tm_mday), digits: 2)
        text += "T" + padded(Int(parts.tm_hour), digits: 2) + ":" + padded(Int(parts.tm_min), digits: 2) + ":" + padded(Int(parts.tm_sec), digits: 2)
        return text
    }

    private static func padded(_ value: Int, digits: Int) -> String {
        let number = String(value)
        return number.count >= digits ? number : String(repeating: "0", count: digits - number.count) + number
    }
}
