import PromQL
import PromQLCorpus
import Testing

/// Label matchers' regular expressions read as Prometheus reads them (Go's RE2 syntax), decided
/// without running anything on them. `PrometheusAgreementTests` asks Debian's Prometheus the same
/// table.
@Suite struct RegexTests {
    /// `{a=~"pattern"}` as a query.
    static func selector(_ pattern: String, _ op: String = "=~") -> String {
        "{a\(op)\"" + pattern.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"}"
    }

    @Test func everyCaseOfTheTableReadsAsPrometheusReadsIt() {
        #expect(PromQLCorpus.regexes.count >= 60)
        for (pattern, outcome) in PromQLCorpus.regexes {
            let query = Self.selector(pattern)
            switch outcome {
            case .nonEmpty:
                #expect(throws: Never.self, "\(pattern)") { try PromQL.parse(query) }
            case .empty:
                #expect(throws: PromQLError.self, "\(pattern)") { try PromQL.parse(query) }
                #expect((try? PrometheusRegex(pattern).matchesEmpty) == true, "\(pattern)")
            case .refused(let message):
                do {
                    _ = try PrometheusRegex(pattern)
                    Issue.record("\(pattern) was read; Prometheus says \(message)")
                } catch {
                    // Go's words, with what it names in full.
                    #expect("error parsing regexp: \(error.code.rawValue): `\(error.expression)`" == message, "\(pattern)")
                }
                do {
                    _ = try PromQL.parse(query)
                    Issue.record("\(query) parsed")
                } catch {
                    #expect(error.message.hasPrefix(String(message.prefix(60))) || message.count > 120, "\(pattern): \(error)")
                    #expect(error.column == 5, "\(pattern): the column of the pattern's string")
                }
            }
        }
    }

    /// The examples the issue names: each side of the "matches the empty string" check.
    @Test func theEmptyTextIsDecidedFromThePattern() throws {
        #expect(throws: PromQLError.self) { try PromQL.parse(Self.selector(#"\pL+"#, "!~")) }
        #expect(throws: PromQLError.self) { try PromQL.parse(Self.selector(#"\pL*"#)) }
        _ = try PromQL.parse(Self.selector(#"\b"#))
        _ = try PromQL.parse(Self.selector(#"\B"#, "!~"))
        // A metric name does not excuse a pattern Prometheus refuses.
        do {
            _ = try PromQL.parse(#"http_requests_total{pod=~"*flask-admin*"}"#)
            Issue.record("a glob parsed")
        } catch {
            #expect(
                error.description
                    == "error parsing regexp: missing argument to repetition operator: `*` at column 26: *, +, ? and {n} repeat what comes before them; any text is .* (a glob's *web* is .*web.* here)"
            )
        }
    }

    @Test func aPatternPastTheLengthBoundIsRefusedWithTheBound() {
        let long = String(repeating: "a|", count: PrometheusRegex.maxLength / 2) + "a"
        do {
            _ = try PrometheusRegex(long)
            Issue.record("read")
        } catch {
            #expect(error.description == "the regular expression is \(long.utf8.count) bytes long; hpa-operator reads at most 32768")
        }
        #expect((try? PrometheusRegex(String(long.dropFirst(2)))) != nil, "32,767 bytes are read")
    }

    @Test func theOneTextOfALiteralPatternIsKnown() throws {
        #expect(try PrometheusRegex("team-a").literal == "team-a")
        #expect(try PrometheusRegex(#"team\.a"#).literal == "team.a")
        #expect(try PrometheusRegex(#"\Qteam.a\E"#).literal == "team.a")
        #expect(try PrometheusRegex(#"team(?:)-a"#).literal == "team-a")
        #expect(try PrometheusRegex("").literal == "")
        for pattern in ["team.a", "team-a|team-b", "(?i)team-a", "team-a?", "(team-a)", "^team-a$", "[t]eam-a", #"\x74eam-a"#] where pattern != #"\x74eam-a"# {
            #expect(try PrometheusRegex(pattern).literal == nil, "\(pattern)")
        }
        // An escaped character is still literal text.
        #expect(try PrometheusRegex(#"\x74eam-a"#).literal == "team-a")
    }
}
