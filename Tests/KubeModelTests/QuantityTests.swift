import Foundation
import Testing

@testable import KubeModel

@Suite("Quantity")
struct QuantityTests {
    /// Input text → the canonical text Kubernetes stores and prints.
    @Test(arguments: [
        ("100", "100"), ("40000m", "40"), ("1.5", "1500m"), ("10k", "10k"), ("2.5M", "2500k"),
        ("1Gi", "1Gi"), ("512Mi", "512Mi"), ("1536Mi", "1536Mi"), ("1.5Gi", "1536Mi"), ("0.5Gi", "512Mi"),
        ("0.5Ki", "512"), ("1024", "1024"), ("1024Ki", "1Mi"), ("1Ki", "1Ki"), ("100Ki", "100Ki"),
        ("2e3", "2e3"), ("1E-3", "1e-3"), ("1.5e3", "1500"), ("1e21", "1e21"), ("1000E", "1e21"),
        ("-0.5", "-500m"), ("+5", "5"), ("-1Gi", "-1Gi"), ("1000", "1k"), ("1500", "1500"), ("10000", "10k"),
        ("0", "0"), ("0m", "0"), ("-0", "0"), ("60m", "60m"), ("0.0000000001", "1n"), ("1.G", "1G"), (".5", "500m"),
        ("007", "7"), ("1u", "1u"), ("1000n", "1u"), ("12.5m", "12500u"), ("1e-9999", "1e-9"), ("0.0000000001e0", "1e-9"), ("1.1Gi", "1181116006400m"),
        ("250m", "250m"), ("83334m", "83334m"), ("1T", "1T"), ("1Ei", "1Ei"),
    ])
    func canonical(input: String, expected: String) throws {
        #expect(try Quantity(parsing: input).description == expected)
    }

    @Test(arguments: ["", "abc", "10x", "1.2.3", "--1", "1K", "1 k", "k", "e3", "1e", "1e+", "1Kib", "1.5.Gi", "+", "-", "1i", "1e3.5", " 1"])
    func rejectsMalformedText(input: String) {
        #expect(throws: QuantityError.invalid(input)) { try Quantity(parsing: input) }
    }

    @Test func errorQuotesTheText() {
        #expect(QuantityError.invalid("10x").description == "'10x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)")
    }

    @Test(arguments: ["1e29", "1e9999", "100000000000000000000000000000", "10000000000Ei"])
    func rejectsValuesBeyondRange(input: String) {
        #expect(throws: QuantityError.outOfRange(input)) { try Quantity(parsing: input) }
    }

    @Test func comparesByValueWhateverTheNotation() throws {
        #expect(try Quantity(parsing: "40000m") == Quantity(parsing: "40"))
        #expect(try Quantity(parsing: "1Ki") == Quantity(parsing: "1024"))
        #expect(try Quantity(parsing: "1k") == Quantity(parsing: "1e3"))
        #expect(try Quantity(parsing: "999m") < Quantity(parsing: "1"))
        #expect(try Quantity(parsing: "-1") < Quantity(parsing: "0"))
        #expect(try Set([Quantity(parsing: "1.5"), Quantity(parsing: "1500m")]).count == 1)
    }

    @Test(arguments: [("1", Int64(1000)), ("1.5", 1500), ("40000m", 40000), ("1n", 1), ("-1n", -1), ("1Ki", 1_024_000), ("0", 0), ("9223372036854775807m", Int64.max)])
    func milliValueRoundsAwayFromZero(input: String, milli: Int64) throws {
        #expect(try Quantity(parsing: input).milliValue() == milli)
    }

    @Test func milliValueOverflowIsAnError() throws {
        let huge = try Quantity(parsing: "1e20")
        #expect(throws: QuantityError.outOfRange("100e18")) { try huge.milliValue() }
    }

    /// The collector's sample values → served Quantity text.
    @Test(arguments: [
        (0.2225, "222m"), (1.5, "1500m"), (40.0, "40"), (1000.0, "1k"), (1500.0, "1500"), (10000.0, "10k"),
        (2.5e6, "2500k"), (1e6, "1M"), (-0.5, "-500m"), (0.0, "0"), (83.3336, "83334m"), (0.0004, "0"), (0.0005, "0"), (0.0015, "2m"), (0.0025, "2m"), (0.0026, "3m"), (-0.0015, "-2m"), (1e-20, "0"),
    ])
    func fromSampleValue(value: Double, expected: String) throws {
        #expect(try Quantity(roundingToMilli: value).description == expected)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteSamplesAreErrors(value: Double) {
        #expect(throws: QuantityError.self) { try Quantity(roundingToMilli: value) }
    }

    @Test func samplesBeyondInt64MilliAreErrors() {
        #expect(throws: QuantityError.outOfRange("100e15")) { try Quantity(roundingToMilli: 1e17) }
        #expect(throws: QuantityError.outOfRange("1.7976931348623157e+308")) { try Quantity(roundingToMilli: .greatestFiniteMagnitude) }
        #expect(throws: Never.self) { try Quantity(roundingToMilli: 9e15) }
    }

    @Test func codableAcceptsStringsAndBareNumbers() throws {
        struct Box: Codable { var q: Quantity }
        let decoder = JSONDecoder()
        #expect(try decoder.decode(Box.self, from: Data(#"{"q":"40000m"}"#.utf8)).q.description == "40")
        #expect(try decoder.decode(Box.self, from: Data(#"{"q":40}"#.utf8)).q.description == "40")
        #expect(try decoder.decode(Box.self, from: Data(#"{"q":0.5}"#.utf8)).q.description == "500m")
        #expect(throws: DecodingError.self) { try decoder.decode(Box.self, from: Data(#"{"q":"10x"}"#.utf8)) }
        let encoded = try JSONEncoder().encode(Box(q: Quantity(parsing: "1.5Gi")))
        #expect(String(decoding: encoded, as: UTF8.self) == #"{"q":"1536Mi"}"#)
    }
}
