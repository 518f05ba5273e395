import Foundation
import HTTPTransport
import PromQL
import TestSupport
import Testing

/// Debian's Prometheus holding the same series in team-a and team-b (team-b's values ten times
/// team-a's): for every shape, the query rewritten for team-a returns exactly what the same query
/// written by hand with `namespace="team-a"` returns, and escapes are refused or stay inside.
@Suite(.serialized) struct EnforcementAgainstPrometheusTests {
    static let start = 1_700_000_000
    static let evaluation = start + 600

    static var openMetrics: String {
        var text = ""
        func series(_ type: String, _ name: String, _ rows: [(labels: String, value: (Int, Int) -> Double)]) {
            text += "# TYPE \(name.replacingOccurrences(of: "_total", with: "").replacingOccurrences(of: "_bucket", with: "")) \(type)\n"
            for (labels, value) in rows {
                for (index, namespace) in ["team-a", "team-b"].enumerated() {
                    for step in 0...10 {
                        text += "\(name){namespace=\"\(namespace)\",\(labels)} \(value(step, index == 0 ? 1 : 10)) \(start + step * 60)\n"
                    }
                }
            }
        }
        series(
            "counter", "http_requests_total",
            [
                ("app=\"shop\",pod=\"shop-1\",code=\"200\"", { Double($0 * 60 * 3 * $1) }),
                ("app=\"shop\",pod=\"shop-2\",code=\"200\"", { Double($0 * 60 * 2 * $1) }),
                ("app=\"shop\",pod=\"shop-1\",code=\"500\"", { Double($0 * 60 * $1) }),
            ])
        // A histogram as classic buckets (one counter per le).
        var buckets = "# TYPE http_request_duration_seconds histogram\n"
        for (index, namespace) in ["team-a", "team-b"].enumerated() {
            let factor = index == 0 ? 1 : 10
            for step in 0...10 {
                var cumulative = 0
                for (le, count) in [("0.1", 5), ("0.5", 3), ("1", 2), ("+Inf", 1)] {
                    cumulative += count * (le == "0.1" ? factor : 1)
                    buckets += "http_request_duration_seconds_bucket{namespace=\"\(namespace)\",app=\"shop\",le=\"\(le)\"} \(cumulative * step * 60) \(start + step * 60)\n"
                }
                buckets += "http_request_duration_seconds_count{namespace=\"\(namespace)\",app=\"shop\"} \(cumulative * step * 60) \(start + step * 60)\n"
                buckets += "http_request_duration_seconds_sum{namespace=\"\(namespace)\",app=\"shop\"} \(cumulative * step * 6) \(start + step * 60)\n"
            }
        }
        series(
            "gauge", "queue_depth",
            [
                ("queue=\"orders\"", { Double(($0 % 4 + 1) * $1) }),
                ("queue=\"mail\"", { Double((10 - $0) * $1) }),
            ])
        series("gauge", "kube_pod_info", [("pod=\"shop-1\",node=\"n1\"", { _, _ in 1 }), ("pod=\"shop-2\",node=\"n2\"", { _, _ in 1 })])
        series("gauge", "kube_deployment_status_replicas", [("deployment=\"shop\"", { _, factor in Double(2 * factor) })])
        series("gauge", "up", [("job=\"api\"", { _, _ in 1 }), ("job=\"worker\"", { step, _ in Double(step % 2) })])
        return text + buckets + "# EOF\n"
    }

    /// `@NS@` marks where the hand-written form has `namespace="team-a"` (the plain form has nothing there).
    static let shapes = [
        "sum(rate(http_requests_total{@NS@}[5m]))",
        #"rate(http_requests_total{app="shop",@NS@}[5m])"#,
        "irate(http_requests_total{@NS@}[5m])",
        #"increase(http_requests_total{code="500",@NS@}[10m])"#,
        "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{@NS@}[5m])))",
        #"histogram_quantile(0.5, rate(http_request_duration_seconds_bucket{app="shop",@NS@}[5m]))"#,
        "sum(rate(http_request_duration_seconds_sum{@NS@}[5m])) / sum(rate(http_request_duration_seconds_count{@NS@}[5m]))",
        "sum by (app) (rate(http_requests_total{@NS@}[5m]))",
        "sum without (pod) (rate(http_requests_total{@NS@}[5m]))",
        "max by (namespace) (queue_depth{@NS@})",
        "count(up{@NS@})",
        "avg(queue_depth{@NS@})",
        "topk(1, queue_depth{@NS@})",
        "bottomk by (queue) (1, queue_depth{@NS@})",
        "quantile(0.5, queue_depth{@NS@})",
        #"count_values("v", up{@NS@})"#,
        "stddev(queue_depth{@NS@})",
        "sum(rate(http_requests_total{@NS@}[5m])) / sum(kube_deployment_status_replicas{@NS@})",
        "rate(http_requests_total{@NS@}[5m]) * on (pod) group_left (node) kube_pod_info{@NS@}",
        "sum by (pod, code) (rate(http_requests_total{@NS@}[5m])) / ignoring (code) group_left sum by (pod) (rate(http_requests_total{@NS@}[5m]))",
        "queue_depth{@NS@} > on (namespace) group_left () (max by (namespace) (queue_depth{@NS@}) * 0.5)",
        "kube_pod_info{@NS@} * on (pod) group_right (node) sum by (pod) (rate(http_requests_total{@NS@}[5m]))",
        "up{@NS@} or queue_depth{@NS@}",
        #"up{@NS@} unless up{job="api",@NS@}"#,
        "up{@NS@} and on (namespace) queue_depth{@NS@} > 5",
        "absent(nonexistent_metric{@NS@})",
        #"absent(up{job="api",@NS@})"#,
        #"label_replace(up{@NS@}, "ns_copy", "$1", "namespace", "(.*)")"#,
        #"label_join(up{@NS@}, "combo", "-", "namespace", "job")"#,
        "sum(nonexistent_metric{@NS@}) or vector(0)",
        "vector(1)",
        "vector(scalar(sum(queue_depth{@NS@})))",
        "sum(queue_depth{@NS@}) * scalar(count(up{@NS@}))",
        "max_over_time(queue_depth{@NS@}[10m])",
        "max_over_time(rate(http_requests_total{@NS@}[2m])[10m:1m])",
        "avg_over_time(sum(queue_depth{@NS@})[5m:])",
        "sum(rate(http_requests_total{@NS@}[5m] offset 5m))",
        "sum(queue_depth{@NS@} offset 2m)",
        "sum(queue_depth{@NS@} @ 1700000300)",
        "sum(rate(http_requests_total{@NS@}[5m] @ 1700000500))",
        "max_over_time(sum(queue_depth{@NS@})[5m:1m] offset 1m)",
        #"{__name__=~"queue_depth|up",@NS@}"#,
        #"count by (__name__) ({__name__=~"http_.*",@NS@})"#,
        #"sum(rate({__name__="http_requests_total",@NS@}[5m]))"#,
        "-queue_depth{@NS@} + 100",
        "clamp_max(queue_depth{@NS@}, 5)",
        "sort_desc(sum by (pod) (rate(http_requests_total{@NS@}[5m])))",
        "sum(kube_deployment_status_replicas{@NS@}) > bool 3",
        "changes(queue_depth{@NS@}[10m])",
        "deriv(queue_depth{@NS@}[10m])",
        "predict_linear(queue_depth{@NS@}[10m], 600)",
        "timestamp(up{@NS@})",
        "sum by (code) (rate(http_requests_total{@NS@}[5m])) / on () group_left sum(rate(http_requests_total{@NS@}[5m]))",
        "(queue_depth{@NS@})",
        #"queue_depth{namespace="team-a"}"#,
        #"queue_depth{namespace=~"team-a"}"#,
        #"label_replace(queue_depth{@NS@}, "namespace", "team-b", "", "")"#,
        "queue_depth{@NS@} or on () up{@NS@}",
        #"{__name__=~".+",@NS@}"#,
        #"count by (namespace) ({__name__=~".+",@NS@})"#,
    ]

    /// Ways out of the namespace, each refused.
    static let escapes = [
        #"queue_depth{namespace=~".+"}"#, #"queue_depth{namespace!="team-a"}"#, #"queue_depth{namespace="team-b"}"#,
        #"queue_depth{namespace=~"team-a|team-b"}"#, #"queue_depth{namespace!~"x"}"#, #"sum(queue_depth) or on () sum(queue_depth{namespace="team-b"})"#,
        #"absent(queue_depth{namespace="team-b"})"#, #"label_replace(queue_depth{namespace=~"team-.+"}, "namespace", "team-a", "", "")"#,
        #"queue_depth * on () group_left () up{namespace="team-b"}"#,
    ]

    static func evaluate(_ query: String, at prometheus: PrometheusFixture, client: HTTPClient) async throws -> String {
        let body = "time=\(evaluation)&query=" + query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let response = try await client.send(
            HTTPRequest(
                method: "POST", url: prometheus.url + "/api/v1/query",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data(body.utf8)))
        let answer = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        guard answer["status"] as? String == "success", let data = answer["data"] as? [String: Any] else {
            return "error: \(response.bodyText)"
        }
        // One canonical text per answer: result items sorted, keys sorted.
        var items: [String] = []
        if let result = data["result"] as? [Any] {
            for item in result { items.append(String(decoding: try JSONSerialization.data(withJSONObject: item, options: [.sortedKeys]), as: UTF8.self)) }
        } else if let result = data["result"] {
            items.append("\(result)")
        }
        return "\(data["resultType"] ?? "")" + items.sorted().joined(separator: "\n")
    }

    @Test func rewrittenQueriesReturnWhatTheHandWrittenOnesDoAndNothingOfTheOtherNamespace() async throws {
        #expect(Self.shapes.count >= 40)
        let prometheus = try await PrometheusFixture.start(openMetrics: Self.openMetrics)
        defer { prometheus.stop() }
        let client = HTTPClient()
        let enforcement = NamespaceEnforcement(label: "namespace")
        var differing = 0
        for shape in Self.shapes {
            let plain = shape.replacingOccurrences(of: ",@NS@", with: "").replacingOccurrences(of: "@NS@", with: "")
            let hand = shape.replacingOccurrences(of: "@NS@", with: #"namespace="team-a""#)
            let rewritten = try enforcement.enforce(PromQL.parse(plain), namespace: "team-a").description
            let ours = try await Self.evaluate(rewritten, at: prometheus, client: client)
            let expected = try await Self.evaluate(hand, at: prometheus, client: client)
            #expect(!expected.hasPrefix("error"), "\(hand): \(expected)")
            #expect(ours == expected, "\(plain) rewritten as \(rewritten)")
            #expect(!ours.contains("team-b") || shape.contains("\"team-b\""), "\(rewritten) returned a series of team-b")
            if try await Self.evaluate(plain, at: prometheus, client: client) != expected { differing += 1 }
        }
        // The data holds both namespaces, so most shapes would read team-b without the rewrite.
        #expect(differing >= 40)
    }

    @Test func escapesAreRefused() throws {
        let enforcement = NamespaceEnforcement(label: "namespace")
        for query in Self.escapes {
            #expect(throws: NamespaceEnforcement.Refusal.self, "\(query)") { try enforcement.enforce(PromQL.parse(query), namespace: "team-a") }
        }
    }
}
