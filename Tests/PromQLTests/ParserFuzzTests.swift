import PromQL
import PromQLCorpus
import TestSupport
import Testing

/// Mutated corpus queries (the shared seeded `Fuzzer`'s edits, and single PromQL characters): the
/// parser never crashes, an error points inside the query, and whatever parses still round-trips.
@Suite struct ParserFuzzTests {
    static let characters = Array(##"(){}[],:@+-*/%^=!<>~"'`\# .0123456789aeimnsxyzAEIN_é"##)

    @Test func mutatedQueriesNeverCrashAndErrorsPointInsideTheQuery() throws {
        var fuzzer = Fuzzer()
        var parsed = 0
        var refused = 0
        for _ in 0..<(Fuzzer.iterations * 5) {
            let query = fuzzer.pick(PromQLCorpus.valid)
            var mutated: String
            if fuzzer.int(2) == 0 {
                mutated = fuzzer.mutate(query)
            } else {
                var characters = Array(query)
                characters.insert(fuzzer.pick(Self.characters), at: fuzzer.int(characters.count + 1))
                mutated = String(characters)
            }
            do {
                let tree = try PromQL.parse(mutated)
                #expect(try PromQL.parse(tree.description) == tree, "\(mutated) printed as \(tree)")
                parsed += 1
            } catch {
                // Lines end at each "\n" byte (a "\r\n" too); columns count characters.
                let lines = mutated.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                #expect(error.line >= 1 && error.line <= lines.count, "\(mutated.prefix(200)): \(error)")
                if error.line >= 1 && error.line <= lines.count {
                    let length = String(decoding: lines[error.line - 1], as: UTF8.self).count
                    #expect(error.column >= 1 && error.column <= length + 1, "\(mutated.prefix(200)): \(error)")
                }
                refused += 1
            }
        }
        #expect(parsed > 200 && refused > 200, "\(parsed) parsed, \(refused) refused")
    }

    @Test func deepNestingIsRefusedNotAStackOverflow() throws {
        let deep = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(throws: PromQLError.self) { try PromQL.parse(deep) }
        let unary = String(repeating: "-", count: 10_000) + "up"
        #expect(throws: PromQLError.self) { try PromQL.parse(unary) }
        let fine = String(repeating: "sum(", count: 60) + "up" + String(repeating: ")", count: 60)
        #expect(try PromQL.parse(fine).description == fine)
    }
}
