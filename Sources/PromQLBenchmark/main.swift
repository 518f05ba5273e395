import BenchmarkMeasure
import Foundation
import PromQL
import PromQLCorpus

// `make bench-promql`: parsing and namespace-rewriting the corpus's queries, per query, beside
// the same run's reference: decoding one small Prometheus answer, which every collection of a
// query does (the parse and rewrite run once per query change, not per collection). First, the
// two regular expressions that took the metrics API down (issue #41), each in a query, beside
// parsing a corpus query of the same length: time per query and the peak memory they add.

let queries = PromQLCorpus.valid
let rounds = 200
let enforcement = NamespaceEnforcement(label: "namespace")
let answer = Data(#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000060,"9.166666666666666"]}]}}"#.utf8)

func microsecondsPerItem(_ count: Int, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    var best = Duration.seconds(3600)
    for _ in 0..<5 {
        let start = clock.now
        try body()
        best = min(best, clock.now - start)
    }
    let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
    return seconds * 1e6 / Double(count)
}

var sink = 0
let bombs = PromQLCorpus.regexBombs.map { #"{pod=~""# + $0 + #""}"# }
// Before anything else, so the process's peak is not yet set by the rest; once each first, so
// what is measured is not the parser's one-time tables.
for bomb in bombs { sink &+= (try? PromQL.parse(bomb)) == nil ? 1 : 0 }
Measure.returnFreedMemory()
let peakBefore = Measure.peakRSSMegabytes
var bombTimes: [Double] = []
for bomb in bombs {
    bombTimes.append(
        microsecondsPerItem(1_000) {
            for _ in 0..<1_000 { sink &+= (try? PromQL.parse(bomb)) == nil ? 1 : 0 }
        })
}
let bombPeak = Measure.peakRSSMegabytes - peakBefore
let plain = queries.min { abs($0.utf8.count - bombs[0].utf8.count) < abs($1.utf8.count - bombs[0].utf8.count) }!
let plainTime = try microsecondsPerItem(1_000) { for _ in 0..<1_000 { sink &+= try PromQL.parse(plain).hashValue & 1 } }
print("Regular expression bombs (refused as Prometheus refuses them), best of 5 × 1,000 parses; target ≤ 1 ms and ≤ 1 MB each")
for (bomb, time) in zip(bombs, bombTimes) {
    print(String(format: "  %@ %8.2f µs/query", bomb.padding(toLength: 44, withPad: " ", startingAt: 0), time))
}
print(String(format: "  peak memory added by both:                   %6.2f MB (VmHWM before %.1f MB)", bombPeak, peakBefore))
print(String(format: "  reference, a corpus query of %2d bytes:       %6.2f µs/query", plain.utf8.count, plainTime))
// The longest pattern read: pod names in an alternation, just under 32 KiB.
let names = (0..<2_000).map { "web-7d4b9c8f6-\(String($0, radix: 36))" }.joined(separator: "|")
let longest = #"sum(rate(http_requests_total{pod=~""# + String(names.prefix(PrometheusRegex.maxLength)).split(separator: "|").dropLast().joined(separator: "|") + #""}[2m]))"#
let longestTime = try microsecondsPerItem(100) { for _ in 0..<100 { sink &+= try PromQL.parse(longest).hashValue & 1 } }
print(String(format: "  a %d-byte alternation of pod names:       %8.2f µs/query", longest.utf8.count, longestTime))
// A class of 16,382 "[:" without a closing ":]" (each once searched the rest of the pattern).
let colons = #"{pod=~"["# + String(repeating: "[:", count: 16_382) + #"a]"}"#
let colonsTime = try microsecondsPerItem(20) { for _ in 0..<20 { sink &+= try PromQL.parse(colons).hashValue & 1 } }
print(String(format: "  a %d-byte class of \"[:\" openings:         %8.2f µs/query", colons.utf8.count, colonsTime))
print("")
let parse = try microsecondsPerItem(queries.count * rounds) {
    for _ in 0..<rounds { for query in queries { sink &+= try PromQL.parse(query).hashValue & 1 } }
}
// Queries that name a namespace of their own are refused for team-a: those are left out here.
let enforceable = queries.filter { (try? enforcement.enforce(PromQL.parse($0), namespace: "team-a")) != nil }
let rewrite = try microsecondsPerItem(enforceable.count * rounds) {
    for _ in 0..<rounds {
        for query in enforceable { sink &+= try enforcement.enforce(PromQL.parse(query), namespace: "team-a").description.utf8.count }
    }
}
let decode = try microsecondsPerItem(queries.count * rounds) {
    for _ in 0..<(queries.count * rounds) { sink &+= (try JSONSerialization.jsonObject(with: answer) as? [String: Any])?.count ?? 0 }
}
print("PromQL corpus: \(queries.count) queries (average \(queries.map(\.utf8.count).reduce(0, +) / queries.count) bytes), best of 5 × \(rounds) rounds")
print(String(format: "  parse:                          %6.2f µs/query", parse))
print(String(format: "  parse + enforce + print:        %6.2f µs/query (the %d without a namespace of their own)", rewrite, enforceable.count))
print(String(format: "  reference, decode one answer:   %6.2f µs (JSONSerialization, same run)", decode))
if sink == 42 { print("") }
