import Collector
import Foundation
import KubeModel
import MetricsServer
import TestSupport

/// One request the kube-aggregator or the HPA controller really sent (shared/k8s-wire).
struct CapturedRequest: Decodable {
    var path: String
    var query: [String: [String]]
    var headers: [String: String]

    static func all() throws -> [CapturedRequest] {
        try String(decoding: WireFixtures.data("hpa-controller-metric-requests.jsonl"), as: UTF8.self)
            .split(separator: "\n").map { try JSONDecoder().decode(CapturedRequest.self, from: Data($0.utf8)) }
    }

    var flatQuery: [String: String] { query.compactMapValues(\.first) }
}

enum Values {
    static let collected = Date(timeIntervalSince1970: 1_700_000_060)
    static let timestamp = "2023-11-14T22:14:20Z"

    static let podStyle = MetricKey.object(
        ObjectMetricKey(
            namespace: "default", resource: GroupResource(resource: "pods"), name: "d-obj-requests_per_second",
            metric: "requests_per_second", kind: "Pod", apiVersion: "v1"))
    static let pods = MetricKey.pods(PodsMetricKey(namespace: "default", metric: "requests_per_second"))
    static let queue = MetricKey.external(ExternalMetricKey(namespace: "default", metric: "queue_depth", labels: ["queue": "orders", "type": "prometheus"]))
    static let deployment = MetricKey.object(
        ObjectMetricKey(
            namespace: "default", resource: GroupResource(parsing: "deployments.apps"), name: "d-objdep",
            metric: "requests_per_second", labels: ["verb": "GET"], kind: "Deployment", apiVersion: "apps/v1"))
    static let caseKept = MetricKey.object(
        ObjectMetricKey(
            namespace: "default", resource: GroupResource(resource: "pods"), name: "d-case-customMetricName",
            metric: "customMetricName", kind: "Pod", apiVersion: "v1"))
    static let banzai = MetricKey.external(ExternalMetricKey(namespace: "default", metric: "prometheus-query", labels: ["query-name": "customMetricName"]))

    /// A store holding a value for every captured request.
    static func store(at time: Date = collected) async -> MetricStore {
        let store = MetricStore()
        await put(store, podStyle, .success(.value(Quantity(milli: 12_500))), at: time)
        await put(store, pods, .success(.pods(["d-pods-1": Quantity(milli: 2_000), "d-pods-2": Quantity(milli: 3_500)])), at: time)
        await put(store, queue, .success(.value(Quantity(45))), at: time)
        await put(store, deployment, .success(.value(Quantity(milli: 9_167))), at: time)
        await put(store, caseKept, .success(.value(Quantity(1_000))), at: time)
        await put(store, banzai, .success(.value(Quantity(milli: 250))), at: time)
        return store
    }

    static func put(_ store: MetricStore, _ key: MetricKey, _ value: Result<Collected, MetricError>, at time: Date = collected, maxAge: Duration = .seconds(90)) async {
        store.expect(key, source: "test", maxAge: maxAge, now: time)
        store.record(key, value, source: "test", at: time)
    }

    static func put(_ store: MetricStore, _ key: MetricKey, _ value: Collected) async {
        await put(store, key, .success(value))
    }
}

extension MetricsAPIResponse {
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
}
