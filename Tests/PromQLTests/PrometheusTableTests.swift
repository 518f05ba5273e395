import Foundation
import Testing

@testable import PromQL

/// Prometheus's own parser and lexer test tables (v2.42, the grammar of Debian's Prometheus, and
/// v2.53), read as data from ../shared/peer/promql: what Prometheus refuses we refuse, what it
/// accepts we accept, but for the cases listed with the reason we differ.
@Suite struct PrometheusTableTests {
    struct Case: Decodable {
        var id: String
        var line: Int
        var input: String?
        var fail: Bool
        var seriesDesc: Bool?
    }

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/peer/promql").standardized
    static let available = FileManager.default.fileExists(atPath: folder.path)

    static func cases(_ file: String) throws -> [Case] {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        // A handful of inputs hold bytes that are not UTF-8, which no manifest can carry.
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Case.self, from: Data($0.utf8)) }.filter { $0.input != nil }
    }

    /// Where we differ from Prometheus on purpose, by input, and why.
    static let differences = [
        #""\a\b\f\n\r\t\v\\\" - \xFF\377\u1234\U00010111\U0001011111☺""#: "a string that is not UTF-8 (\\xFF) is refused: no label or manifest can hold it",
        #"'\a\b\f\n\r\t\v\\\' - \xFF\377\u1234\U00010111\U0001011111☺'"#: "a string that is not UTF-8 (\\xFF) is refused: no label or manifest can hold it",
        // v2.53's table holds syntax newer than 2.42's, which Debian's Prometheus refuses.
        #" +{"some_metric"}"#: quotedNames,
        #"{"foo"}"#: quotedNames,
        #"{'foo\'bar', 'a\\dos\\path'='boo\\urns'}"#: quotedNames,
        #"{'foo\'bar', `a\dos\path`="boo"}"#: quotedNames,
        #"{"foo", a="bc"}"#: quotedNames,
        #"{a="b", foo!="bar", "foo", test=~"test", bar!~"baz"}"#: quotedNames,
        #"{"bar", __name__="baz"}"#: quotedNames,
    ]
    static let quotedNames = "quoted metric and label names in braces (UTF-8 names, newer than Prometheus 2.42, which refuses them)"

    @Test(
        .enabled(if: available, "../shared/peer/promql is absent: Prometheus's own parser tables are not checked"),
        arguments: ["cases-parse-v2.42.0.jsonl", "cases-parse-v2.53.0.jsonl"])
    func theParserRefusesWhatPrometheusRefuses(_ file: String) throws {
        let cases = try Self.cases(file)
        #expect(cases.count > 250)
        for test in cases {
            guard let input = test.input, Self.differences[input] == nil else { continue }
            let parsed = Result { () throws(PromQLError) in try PromQL.parse(input) }
            switch (test.fail, parsed) {
            case (true, .success(let tree)): Issue.record("\(test.id) (line \(test.line)): Prometheus refuses \(input), we read \(tree)")
            case (false, .failure(let error)): Issue.record("\(test.id) (line \(test.line)): Prometheus reads \(input), we refuse: \(error)")
            default: break
            }
        }
    }

    /// The lexer table: what Prometheus's lexer reads, ours reads; what it refuses, we refuse
    /// (Prometheus's lexer also checks that brackets balance, which our parser does). Series
    /// descriptions, the syntax of Prometheus's test files, are not PromQL.
    @Test(.enabled(if: available, "../shared/peer/promql is absent: Prometheus's own lexer table is not checked"))
    func theLexerReadsWhatPrometheusReads() throws {
        for test in try Self.cases("cases-lex-v2.42.0.jsonl") where test.seriesDesc != true {
            guard let input = test.input, Self.lexerDifferences[input] == nil else { continue }
            var lexer = Lexer(input)
            let lexed = Result { () throws(PromQLError) in try lexer.tokens() }
            let parsed = Result { () throws(PromQLError) in try PromQL.parse(input) }
            switch (test.fail, lexed, parsed) {
            case (true, _, .success): Issue.record("\(test.id) (line \(test.line)): Prometheus's lexer refuses \(input), we read it")
            case (false, .failure(let error), _): Issue.record("\(test.id) (line \(test.line)): Prometheus's lexer reads \(input), ours refuses: \(error)")
            default: break
            }
        }
    }

    /// Lexer cases whose outcome the table does not carry, by input, and why.
    static let lexerDifferences = [
        #""test\.expression""#: "the table expects an ERROR item (unknown escape sequence) without marking the case failed; both lexers refuse it"
    ]
}
