/// PromQL's durations (`1h30m`, `90s`, `2w`): units y, w, d, h, m, s, ms, each at most once and
/// largest first; values are milliseconds.
enum DurationText {
    static let units: [(name: String, milliseconds: Int64)] = [
        ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// The longest duration Prometheus holds: Int64 nanoseconds, about 292 years.
    static let maxMilliseconds = Int64.max / 1_000_000

    /// nil unless the whole text is a duration; past Int64 milliseconds, Int64.max.
    static func parse(_ text: Substring) -> Int64? {
        var rest = text[...]
        var total: Int64 = 0
        var next = 0  // the first unit still allowed
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            let value = Int64(digits) ?? .max
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isASCII && $0.isLetter }
            guard let index = units[next...].firstIndex(where: { $0.name == letters }) else { return nil }
            rest = rest.dropFirst(letters.count)
            let (product, overflow) = value.multipliedReportingOverflow(by: units[index].milliseconds)
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            total = overflow || sumOverflow ? .max : sum
            next = index + 1
        }
        return total
    }

    /// Prometheus's spelling: years, weeks and days only when exact, then h, m, s, ms.
    static func format(_ milliseconds: Int64) -> String {
        guard milliseconds != 0 else { return "0s" }
        var rest = milliseconds
        var text = ""
        for (index, unit) in units.enumerated() {
            if index < 3, rest % unit.milliseconds != 0 { continue }
            let value = rest / unit.milliseconds
            if value > 0 {
                text += "\(value)\(unit.name)"
                rest -= value * unit.milliseconds
            }
        }
        return text
    }
}
