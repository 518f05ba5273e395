/// A duration that could not be read; the message quotes it.
public struct DurationParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "'\(text)' is not a duration (examples: 15s, 1m, 1m30s, 500ms)" }
}

extension Duration {
    /// Reads Go's duration syntax, which kube-metrics-adapter annotations use:
    /// `30s`, `1m`, `1.5h`, `1m30s`, `500ms`, `0`.
    public init(parsingGo text: String) throws(DurationParseError) {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" {
            self = .zero
            return
        }
        guard !rest.isEmpty else { throw DurationParseError(text: text) }
        var seconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix(while: { $0.isASCIIDigit || $0 == "." })
            rest = rest.dropFirst(number.count)
            // Longest unit first, so "ms" is not read as "m".
            guard let value = Double(number),
                let (unit, scale) = units.sorted(by: { $0.0.count > $1.0.count }).first(where: { rest.hasPrefix($0.0) })
            else { throw DurationParseError(text: text) }
            rest = rest.dropFirst(unit.count)
            seconds += value * scale
        }
        // Go's limit: about 290 years.
        guard seconds * 1e9 < 9.2e18 else { throw DurationParseError(text: text) }
        self = .nanoseconds(Int64(((negative ? -seconds : seconds) * 1e9).rounded()))
    }

    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
