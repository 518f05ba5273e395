import PromQL
import PromQLCorpus
import Testing

/// Mutated corpus queries (a character deleted, inserted or doubled, with a fixed seed): the parser
/// never crashes, an error points inside the query, and whatever parses still round-trips.
@Suite struct ParserFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array(##"(){}[],:@+-*/%^=!<>~"'`\# .0123456789aeimnsxyzAEIN_é"##)

    @Test func mutatedQueriesNeverCrashAndErrorsPointInsideTheQuery() throws {
        var random = Generator(state: 17)
        var parsed = 0, refused = 0
        for query in PromQLCorpus.valid {
            for _ in 0..<40 {
                var characters = Array(query)
                let position = Int.random(in: 0...characters.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where !characters.isEmpty: characters.remove(at: min(position, characters.count - 1))
                case 1 where position < characters.count: characters.insert(characters[position], at: position)
                default: characters.insert(Self.alphabet.randomElement(using: &random)!, at: position)
                }
                let mutated = String(characters)
                do {
                    let tree = try PromQL.parse(mutated)
                    #expect(try PromQL.parse(tree.description) == tree, "\(mutated) printed as \(tree)")
                    parsed += 1
                } catch {
                    let lines = mutated.split(separator: "\n", omittingEmptySubsequences: false)
                    #expect(error.line >= 1 && error.line <= lines.count, "\(mutated): \(error)")
                    if error.line >= 1 && error.line <= lines.count {
                        #expect(error.column >= 1 && error.column <= lines[error.line - 1].count + 1, "\(mutated): \(error)")
                    }
                    refused += 1
                }
            }
        }
        #expect(parsed > 1000 && refused > 1000)
    }
}
