/// A Kubernetes `resource.Quantity`: an exact decimal number with the notation it was written in.
///
/// The value is held exactly in nano-units, as Kubernetes does: finer fractions are rounded away
/// from zero when parsed (`0.1n` is `1n`). Two quantities are equal when their values are, whatever
/// their notation (`40000m == 40`). `description` is the canonical text Kubernetes prints.
public struct Quantity: Sendable, Hashable, Comparable {
    /// How the number was written, which decides how it is printed.
    public enum Format: Sendable, Hashable {
        /// `500m`, `10k`, `2M`, plain numbers.
        case decimalSI
        /// `1Ki`, `512Mi`, `1Gi`.
        case binarySI
        /// `2e3`, `1E-3`.
        case decimalExponent
    }

    static let nanosPerUnit: Int128 = 1_000_000_000
    /// Quantities beyond this many units are refused (they are never meaningful as targets,
    /// and it keeps all arithmetic exact in 128 bits).
    static let maximumUnits: Int128 = 10_000_000_000_000_000_000_000_000_000  // 1e28

    /// The value in units of 10⁻⁹.
    public let nanos: Int128
    public let format: Format

    public init(nanos: Int128, format: Format = .decimalSI) {
        self.nanos = nanos
        // Kubernetes prints binary quantities between -1 and 1 as decimal ones.
        if format == .binarySI, nanos != 0, nanos.magnitude < UInt128(Self.nanosPerUnit) {
            self.format = .decimalSI
        } else {
            self.format = format
        }
    }

    /// A quantity of `milli` thousandths, printed in decimal SI (`1500` → `1500m`).
    public init(milli: Int64) {
        self.init(nanos: Int128(milli) * 1_000_000)
    }

    /// A whole number of units (`40` → `40`).
    public init(_ units: Int64, format: Format = .decimalSI) {
        self.init(nanos: Int128(units) * Self.nanosPerUnit, format: format)
    }

    /// A sample value as the collector serves it: its decimal text rounded to the nearest thousandth,
    /// ties to even (`0.2225` → `222m`, `2.5e6` → `2500k`). NaN, infinities and values outside
    /// Int64 milli-units are errors.
    public init(roundingToMilli value: Double) throws(QuantityError) {
        guard value.isFinite else { throw .notFinite(value) }
        // Swift prints the shortest text that reads back as the same Double: the number the user meant.
        self = try Quantity(parsing: "\(value)").roundedToMilli()
    }

    /// This value rounded to the nearest thousandth, ties to even, printed in decimal SI.
    public func roundedToMilli() throws(QuantityError) -> Quantity {
        try roundedToMilli(dividingBy: 1)
    }

    /// This value divided by `divisor` (> 0), rounded once, exactly, to the nearest thousandth,
    /// ties to even (per-replica values).
    public func roundedToMilli(dividingBy divisor: Int) throws(QuantityError) -> Quantity {
        precondition(divisor > 0, "divisor must be positive")
        let unit = 1_000_000 * Int128(divisor)
        let (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: unit)
        var milli = quotient
        let twiceRemainder = remainder.magnitude * 2
        if twiceRemainder > unit.magnitude || (twiceRemainder == unit.magnitude && quotient % 2 != 0) {
            milli += nanos < 0 ? -1 : 1
        }
        guard let exact = Int64(exactly: milli) else { throw .outOfRange(description) }
        return Quantity(milli: exact)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.nanos == rhs.nanos }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanos) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanos < rhs.nanos }

    public var isZero: Bool { nanos == 0 }
    public var sign: Int { nanos == 0 ? 0 : (nanos < 0 ? -1 : 1) }

    /// The value in thousandths, rounded away from zero as Kubernetes' `MilliValue` does.
    public func milliValue() throws(QuantityError) -> Int64 {
        let (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: 1_000_000)
        let rounded = remainder == 0 ? quotient : quotient + (nanos < 0 ? -1 : 1)
        guard let milli = Int64(exactly: rounded) else { throw .outOfRange(description) }
        return milli
    }

    /// The value as a Double (approximate beyond 2^53 nano-units).
    public var doubleValue: Double {
        Double(nanos) / 1e9
    }
}

/// A quantity that could not be read or converted. The message quotes the input.
public enum QuantityError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalid(String)
    case outOfRange(String)
    case notFinite(Double)

    public var description: String {
        switch self {
        case .invalid(let text):
            return "'\(text)' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"
        case .outOfRange(let text):
            return "'\(text)' is out of range (at most 1e28 in size)"
        case .notFinite(let value):
            return "\(value) is not a finite number"
        }
    }
}

extension Quantity: Codable {
    /// Quantities are JSON strings; a bare JSON number is accepted too, as Kubernetes does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else {
            text = String(try container.decode(Double.self))
        }
        do {
            self = try Quantity(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
