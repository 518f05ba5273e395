import Foundation

/// Seeded fuzzing for tests: inputs are mutated valid examples, so a failure names its seed and
/// iteration and reproduces. The suites run a bounded number of cases by default; `make fuzz`
/// runs many more (HPA_FUZZ_ITERATIONS) from a fresh seed (HPA_FUZZ_SEED), printing it.
public struct Fuzzer {
    public static var iterations: Int { ProcessInfo.processInfo.environment["HPA_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 400 }
    public static var seed: UInt64 { ProcessInfo.processInfo.environment["HPA_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x4850_415f_6675_7a7a }

    public private(set) var random: SplitMix64

    public init(seed: UInt64 = Fuzzer.seed) { random = SplitMix64(seed: seed) }

    /// Text that has broken parsers here before: numbers past every range, control and format
    /// characters, YAML and JSON syntax, and long runs.
    public static let hostile: [String] = [
        "1e400", "-1e400", "9.3e18", "1e19", "NaN", "+Inf", "-0", "0x1f", "1_000", "99999999999999999999", "0.0000001",
        "\u{1B}[2J", "\u{0}", "\u{202E}", "\u{200B}", "\r\n", "\t", "\\ud83d\\ude00", "\\ud83d", "😀", "\u{FFFD}",
        "&a", "*a", "!!str ", "{", "}", "[", "]", ":", ",", "'", "\"", "\\", "#", "---", "- ", "? ", "|", ">",
        "<html>", "null", "true", "~", "%", "m", "Ki", "E", "e", "-", ".", " ",
        String(repeating: "9", count: 400), String(repeating: "[", count: 1200), String(repeating: "a", count: 70_000),
    ]

    public mutating func int(_ bound: Int) -> Int { Int(random.next() % UInt64(max(bound, 1))) }

    public mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }

    /// `text` with one to three edits: a hostile piece inserted or replacing a span, a span
    /// deleted or repeated.
    public mutating func mutate(_ text: String) -> String {
        var characters = Array(text)
        for _ in 0...int(3) {
            let at = int(characters.count + 1)
            let length = min(int(8) + 1, characters.count - min(at, characters.count))
            switch int(4) {
            case 0: characters.insert(contentsOf: pick(Self.hostile), at: at)
            case 1: characters.replaceSubrange(at..<(at + length), with: pick(Self.hostile))
            case 2: characters.removeSubrange(at..<(at + length))
            default: characters.insert(contentsOf: characters[at..<(at + length)], at: at)
            }
        }
        return String(characters)
    }

    /// Why `text`, a message we print, is unfit to echo (nil when fit): longer than `limit`, or
    /// holding control or format characters (ANSI escapes, NUL, bidi overrides).
    public static func unfit(_ text: String, limit: Int = 2_000) -> String? {
        if text.count > limit { return "\(text.count) characters long" }
        for scalar in text.unicodeScalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.properties.generalCategory == .format {
            return "holds U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        return nil
    }
}

/// A small seeded generator (SplitMix64), so random tests reproduce.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
