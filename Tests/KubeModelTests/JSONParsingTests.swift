import Foundation
import KubeModel
import TestSupport
import Testing

@Suite struct JSONParsingTests {
    /// What Foundation's decoder makes of the same bytes (the reference).
    func decoded(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    @Test(arguments: [
        #"{"a":[1,-2,3.5,1e3,true,false,null,"x"],"b":{},"c":[],"d":"\"\\\/\b\f\n\r\t\u00e9"}"#,
        #"  [ 0 , -0.5 , 12345678901234 , 1E-2 ]  "#,
        #""\ud83d\ude00 plain""#, "42", "null", #"{"nested":{"deeper":{"deepest":[[]]}}}"#,
    ])
    func readsWhatFoundationReads(_ text: String) throws {
        let parsed = try JSONValue(parsing: Data(text.utf8))
        #expect(parsed == decoded(text))
    }

    @Test func anEscapedSurrogatePairIsOneCharacter() throws {
        #expect(try JSONValue(parsing: Data(#""\ud83d\ude00""#.utf8)) == .string("😀"))
    }

    @Test(arguments: [
        ("", "unexpected end"), ("{", "expected a member name"), (#"{"a" 1}"#, "expected ':'"),
        ("[1,]", "unexpected character"), ("[1 2]", "expected ',' or ']'"), ("01", "a number with a leading zero"),
        ("tru", "unexpected character"), (#""\ud83d""#, "a lone surrogate escape"), (#""\ude00""#, "a lone surrogate escape"),
        ("\"a\u{1}\"", "control character in a string"), (#""\x""#, "unknown escape"), ("-", "a number without digits"),
        ("1.", "a number without digits after '.'"), ("1e", "a number without exponent digits"),
        ("1e400", "a number out of range (1e400)"), ("[1] x", "unexpected text after the value"),
    ])
    func refusesWhatIsNotJSONSayingWhy(_ text: String, _ problem: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Data(text.utf8)) }
        do { _ = try JSONValue(parsing: Data(text.utf8)) } catch { #expect(error.problem == problem) }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Data([0x22, 0xFF, 0xFE, 0x22])) }
    }

    /// A hostile body cannot exhaust the stack.
    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        do {
            _ = try JSONValue(parsing: Data(deep.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.problem == "nested deeper than \(JSONValue.maximumDepth) levels")
        }
        let allowed = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(throws: Never.self) { try JSONValue(parsing: Data(allowed.utf8)) }
    }

    /// Random documents built from JSON's pieces, valid and broken: the parser accepts exactly what
    /// Foundation's serializer accepts and reads the same value (seeded, so a failure reproduces).
    @Test func agreesWithFoundationOnRandomDocuments() throws {
        var random = SplitMix64(seed: Fuzzer.seed)
        let pieces = ["{", "}", "[", "]", ",", ":", "\"k\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "1", "-0.5", "2e3", "true", "null", " ", "\"", "\\"]
        for _ in 0..<Fuzzer.iterations * 5 {
            let text = (0..<Int(random.next() % 12 + 1)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
            let data = Data(text.utf8)
            let reference = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            let parsed = try? JSONValue(parsing: data)
            #expect((reference == nil) == (parsed == nil), "seed \(Fuzzer.seed): \(text)")
            if let parsed { #expect(parsed == decoded(text), "\(text)") }
        }
    }
}
