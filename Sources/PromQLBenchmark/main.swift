import Foundation
import PromQL
import PromQLCorpus

// `make bench-promql`: parsing and namespace-rewriting the corpus's queries, per query, beside
// the same run's reference: decoding one small Prometheus answer, which every collection of a
// query does (the parse and rewrite run once per query change, not per collection).

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
