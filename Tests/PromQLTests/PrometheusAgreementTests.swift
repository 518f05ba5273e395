import Foundation
import HTTPTransport
import PromQL
import PromQLCorpus
import TestSupport
import Testing

/// Debian's Prometheus 2.42 is the judge: it accepts every query of the corpus, formats our
/// printed form exactly as it formats the original (so both parse to the same tree), and refuses
/// every query of the invalid table.
@Suite(.serialized) struct PrometheusAgreementTests {
    static func format(_ query: String, at prometheus: PrometheusFixture, client: HTTPClient) async throws -> (ok: Bool, text: String) {
        let body = "query=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let response = try await client.send(
            HTTPRequest(
                method: "POST", url: prometheus.url + "/api/v1/format_query",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8)))
        let answer = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        if answer["status"] as? String == "success" { return (true, answer["data"] as? String ?? "") }
        return (false, answer["error"] as? String ?? response.bodyText)
    }

    @Test func prometheusReadsOurPrintedQueriesAsTheOriginals() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: "")
        defer { prometheus.stop() }
        let client = HTTPClient()
        for query in PromQLCorpus.valid {
            let original = try await Self.format(query, at: prometheus, client: client)
            #expect(original.ok, "Prometheus refused a corpus query: \(query): \(original.text)")
            let printed = try PromQL.parse(query).description
            let ours = try await Self.format(printed, at: prometheus, client: client)
            #expect(ours.ok && ours.text == original.text, "\(query) printed as \(printed): Prometheus formats \(original.text) and \(ours.text)")
        }
    }

    @Test func prometheusRefusesWhatWeRefuse() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: "")
        defer { prometheus.stop() }
        let client = HTTPClient()
        for (query, _, _) in PromQLCorpus.invalid {
            let answer = try await Self.format(query, at: prometheus, client: client)
            #expect(!answer.ok, "Prometheus accepts \(query) (as \(answer.text)), which we refuse")
        }
    }

    /// The regular expression table is what Debian's Prometheus says today, text for text.
    @Test func prometheusReadsTheRegexTableAsRecorded() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: "")
        defer { prometheus.stop() }
        let client = HTTPClient()
        for (pattern, outcome) in PromQLCorpus.regexes {
            let answer = try await Self.format(RegexTests.selector(pattern), at: prometheus, client: client)
            let said: PromQLCorpus.RegexOutcome =
                if answer.ok {
                    .nonEmpty
                } else if answer.text.hasSuffix("vector selector must contain at least one non-empty matcher") {
                    .empty
                } else {
                    .refused(answer.text.components(separatedBy: "parse error: ").dropFirst().joined(separator: "parse error: "))
                }
            #expect(said == outcome, "\(pattern.prefix(100))")
        }
    }

    /// Random patterns from regular expression pieces (groups, classes, counts, escapes, flags,
    /// anchors, Unicode names): Debian's Prometheus and our reader accept, refuse and find the
    /// empty text alike, and where both refuse, say the same words.
    @Test func randomPatternsAreReadAsPrometheusReadsThem() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: "")
        defer { prometheus.stop() }
        let client = HTTPClient()
        let pieces = [
            "a", "b", "é", ".", "|", "(", ")", "(?:", "(?i)", "(?P<n>", "(?=", "[", "]", "[^", "-", "^", "$", "*", "+", "?", "*?", "{2}", "{1,3}",
            "{0}", "{,2}", "{1000}", "{3,1}", "\\", "\\d", "\\b", "\\B", "\\pL", "\\p{Greek}", "\\p{Foo}", "\\Q", "\\E", "\\x41", "\\1",
            "\\.", "[:alpha:]", "\\z", "\\A", "\\C", ")*",
        ]
        var fuzzer = Fuzzer(seed: Fuzzer.seed)
        var disagreements: [String] = []
        for _ in 0..<max(Fuzzer.iterations, 400) {
            let pattern = (0..<(1 + fuzzer.int(6))).map { _ in fuzzer.pick(pieces) }.joined()
            let answer = try await Self.format(RegexTests.selector(pattern), at: prometheus, client: client)
            let theirs =
                answer.ok
                ? "non-empty"
                : answer.text.hasSuffix("vector selector must contain at least one non-empty matcher")
                    ? "empty"
                    : answer.text.components(separatedBy: "parse error: ").dropFirst().joined(separator: "parse error: ")
            let ours: String
            do {
                ours = try PrometheusRegex(pattern).matchesEmpty ? "empty" : "non-empty"
            } catch {
                ours = "error parsing regexp: \(error.code.rawValue): `\(error.expression)`"
            }
            if ours != theirs { disagreements.append("\(pattern): Prometheus \(theirs), ours \(ours)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20).joined(separator: "\n"))")
    }
}
