import Foundation
import KubeClient
import KubeModel
import Logging
import Prometheus
import TestSupport
import Testing

@testable import Collector

/// The collector end to end: HPAs in the apiserver double, queries against a real Prometheus
/// holding data that ends now.
@Suite struct CollectorTests {
    final class Harness: Sendable {
        let server: FakeAPIServer
        let client: KubeClient
        let prometheus: PrometheusFixture

        init() async throws {
            server = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .milliseconds(200), admit: FakeAPIServer.kubernetesAdmission))
            client = KubeClient(config: ClientConfig(server: server.url))
            prometheus = try await PrometheusFixture.start(openMetrics: PrometheusData.openMetrics(endingAt: Int(Date().timeIntervalSince1970)))
        }

        func stop() async {
            prometheus.stop()
            await server.stop()
        }

        func startCollector(
            now: @escaping @Sendable () -> Date = Date.init, sharing informer: Informer<HorizontalPodAutoscaler>? = nil,
            leading: Bool = true, metrics: CollectorMetrics = CollectorMetrics()
        ) -> (Collector, Task<Void, any Error>) {
            let logger = Logger.quiet("collector-test")
            let client = KubeClient(config: ClientConfig(server: server.url))
            let events = FencedEventSink(EventRecorder(client: client, instance: "test", logger: logger), leadership: Leadership { leading })
            let collector = Collector(
                client: client,
                configuration: Collector.Configuration(
                    servers: PrometheusServers(defaultServer: PrometheusServer(url: prometheus.url)), settings: CollectionSettings(defaultInterval: .seconds(2)),
                    watchTimeoutSeconds: 30, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(100))),
                logger: logger, now: now, sharing: informer, events: events, metrics: metrics)
            return (collector, Task { try await collector.run() })
        }

        @discardableResult
        func createHPA(_ name: String, _ annotations: [String: String], metrics: [MetricSpec]) async throws -> HorizontalPodAutoscaler {
            try await client.create(
                HorizontalPodAutoscaler(
                    metadata: ObjectMeta(name: name, namespace: "shop", annotations: annotations),
                    spec: HorizontalPodAutoscalerSpec(
                        scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: name),
                        minReplicas: 1, maxReplicas: 10, metrics: metrics)))
        }

        /// Polls until `condition` holds.
        func eventually(_ what: String, timeout: Duration = hangBound, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
            if try await !Poll.until(timeout: timeout, condition) { Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation) }
        }
    }

    static let rps = #"sum(shop_rps{app="shop"})"#

    /// Two hand-written HPAs that claim one served key with different queries: the first keeps
    /// its value, the second is told which HPA has it, and takes over once the first is gone.
    @Test func oneKeyClaimedWithTwoQueriesStaysTheFirstOnes() async throws {
        let harness = try await Harness()
        let (collector, running) = harness.startCollector()
        let metric = MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: "queue", selector: LabelSelector(matchLabels: ["type": "prometheus"])), target: .value(Quantity(5))))
        try await harness.createHPA("alpha", ["metric-config.external.queue.prometheus/query": "vector(50)"], metrics: [metric])
        let key = MetricKey.external(ExternalMetricKey(namespace: "shop", metric: "queue", labels: ["type": "prometheus"]))
        func value() -> Quantity? { if case .success(.value(let value))? = collector.store.reading(key, now: Date()) { value } else { nil } }
        try await harness.eventually("alpha's value") { value() == Quantity(50) }
        try await harness.createHPA("beta", ["metric-config.external.queue.prometheus/query": "vector(7)"], metrics: [metric])
        try await harness.eventually("the warning on beta naming alpha") {
            try await harness.client.list(Event.self, namespace: "shop").items.contains {
                $0.involvedObject.name == "beta" && $0.reason == "InvalidMetricConfig" && $0.message?.contains("HPA shop/alpha already fills") == true
            }
        }
        #expect(value() == Quantity(50))
        try await harness.client.delete(HorizontalPodAutoscaler.self, namespace: "shop", name: "alpha")
        try await harness.eventually("beta's value once alpha is gone") { value() == Quantity(7) }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// What an operator of the operator watches: query durations and failures by server and
    /// reason, how many metrics are collected, how old the oldest value served is.
    @Test func collectionIsObservableOnMetrics() async throws {
        let harness = try await Harness()
        let registry = PrometheusCollectorRegistry()
        let metrics = CollectorMetrics(registry: registry)
        let (collector, running) = harness.startCollector(metrics: metrics)
        try await harness.createHPA("good", ["metric-config.object.rps.prometheus/query": Self.rps], metrics: [Self.objectMetric("rps", on: "good")])
        try await harness.createHPA("empty", ["metric-config.object.rps.prometheus/query": "sum(nothing_here)"], metrics: [Self.objectMetric("rps", on: "empty")])
        let server = harness.prometheus.url
        try await harness.eventually("a failure counted") { registry.emitToString().contains("hpa_operator_collector_errors_total{server=\"\(server)\",reason=\"no-data\"}") }
        try await harness.eventually("the good value") {
            collector.store.keys.count == 2 && collector.store.snapshot(now: Date()).values.contains { if case .success = $0.outcome { true } else { false } }
        }
        // Stopped, so no newer collection replaces the value: 5 s after it was collected (still
        // within its maximum age, 6 s), the oldest value served is 5 s old, however loaded the
        // machine was while it ran.
        running.cancel()
        _ = try? await running.value
        let collectedAt = try #require(collector.store.snapshot(now: Date()).values.first { if case .success = $0.outcome { true } else { false } }?.collectedAt)
        metrics.update(from: collector.store, now: collectedAt.addingTimeInterval(5))
        let text = registry.emitToString()
        #expect(text.contains("hpa_operator_collector_query_duration_seconds_count{server=\"\(server)\"}"), "\(text)")
        #expect(text.contains("hpa_operator_collector_metrics 2"), "\(text)")
        let age = text.split(separator: "\n").first { $0.hasPrefix("hpa_operator_collector_oldest_value_age_seconds ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        #expect(age == 5, "\(text)")
        await harness.stop()
    }

    /// A query using a function Debian's Prometheus 2.42 does not have is refused when planned,
    /// naming the release it needs and the server's, instead of failing at every collection.
    @Test func aQueryNeedingANewerPrometheusIsSaidWhenPlanned() async throws {
        let harness = try await Harness()
        let (collector, running) = harness.startCollector()
        try await harness.createHPA("avg", ["metric-config.object.lat.prometheus/query": "sum(histogram_avg(rate(latency[5m])))"], metrics: [Self.objectMetric("lat", on: "avg")])
        try await harness.eventually("the requirement said") {
            try await harness.client.list(Event.self, namespace: "shop").items.contains {
                $0.involvedObject.name == "avg" && $0.reason == Collector.invalidConfigReason
                    && $0.message
                        == "metric-config.object.lat.prometheus/query: histogram_avg() needs Prometheus 2.51.0 or later: \(harness.prometheus.url) is Prometheus 2.42.0, so the query would fail at every collection"
            }
        }
        #expect(collector.store.reading(Self.objectKey("lat", on: "avg"), now: Date()) == nil)
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    /// A metric asked of another kube-metrics-adapter collector is answered with that reason (not
    /// "no HPA's metric-config annotations name it"), until the HPA gives it a query, and dropped
    /// with the HPA.
    @Test func aMetricOfAnotherCollectorIsAnsweredWithTheReason() async throws {
        let harness = try await Harness()
        let (collector, running) = harness.startCollector()
        let hpa = try await harness.createHPA("json", ["metric-config.object.rps.json-path/json-key": "$.rps"], metrics: [Self.objectMetric("rps", on: "json")])
        let key = Self.objectKey("rps", on: "json")
        try await harness.eventually("the reason served") {
            if case .failure(.unsupportedCollector(collector: "json-path", hpa: "shop/json"))? = collector.store.reading(key, now: Date()) { return true }
            return false
        }
        var queried = hpa
        queried.metadata.annotations = ["metric-config.object.rps.prometheus/query": Self.rps]
        _ = try await harness.client.update(queried)
        try await harness.eventually("the query's value") { (try? collector.store.reading(key, now: Date())?.get()) != nil }
        try await harness.client.delete(HorizontalPodAutoscaler.self, namespace: "shop", name: "json")
        try await harness.eventually("the key dropped") { collector.store.reading(key, now: Date()) == nil }
        running.cancel()
        _ = try? await running.value
        await harness.stop()
    }

    static func objectMetric(_ metric: String, on name: String, kind: String = "Deployment", apiVersion: String = "apps/v1") -> MetricSpec {
        MetricSpec(
            object: ObjectMetricSource(
                describedObject: CrossVersionObjectReference(apiVersion: apiVersion, kind: kind, name: name),
                metric: MetricIdentifier(name: metric), target: .value(Quantity(40))))
    }

    static func objectKey(_ metric: String, on name: String) -> MetricKey {
        .object(ObjectMetricKey(namespace: "shop", resource: GroupResource(parsing: "deployments.apps"), name: name, metric: metric))
    }

    static func value(_ store: MetricStore, _ key: MetricKey, now: Date = Date()) -> Result<String, MetricError>? {
        store.reading(key, now: now)?.map { collected in
            switch collected {
            case .value(let quantity): return quantity.description
            case .pods(let values): return values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
        }
    }

    @Test func everyMetricFormIsCollectedWithItsMeaning() async throws {
        let harness = try await Harness()
        let (collector, task) = harness.startCollector()
        // The workload the per-replica metric divides by: 3 replicas.
        let deployment = try await harness.client.create(Deployment(metadata: ObjectMeta(name: "cart", namespace: "shop"), spec: WorkloadSpec(replicas: 3)))
        var scaled = deployment
        scaled.status = WorkloadStatus(replicas: 3)
        _ = try await harness.client.updateStatus(scaled)

        try await harness.createHPA("shop", ["metric-config.object.rps.prometheus/query": Self.rps], metrics: [Self.objectMetric("rps", on: "shop")])
        try await harness.createHPA(
            "cart",
            [
                "metric-config.object.rps.prometheus/query": Self.rps,
                "metric-config.object.rps.prometheus/per-replica": "true",
            ], metrics: [Self.objectMetric("rps", on: "cart-rps", kind: "Pod", apiVersion: "v1")])
        try await harness.createHPA(
            "orders", ["metric-config.external.prometheus-query.prometheus/queue": #"max(queue_depth{queue="orders"})"#],
            metrics: [
                MetricSpec(
                    external: ExternalMetricSource(
                        metric: MetricIdentifier(name: "prometheus-query", selector: LabelSelector(matchLabels: ["query-name": "queue"])),
                        target: .averageValue(Quantity(10))))
            ])
        try await harness.createHPA(
            "pods", ["metric-config.pods.rps.prometheus/query": #"sum by (pod) (shop_rps{app="shop"})"#],
            metrics: [MetricSpec(pods: PodsMetricSource(metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(5))))])
        try await harness.createHPA(
            "split", ["metric-config.object.rps.prometheus/query": "shop_rps"],
            metrics: [Self.objectMetric("rps", on: "split")])

        let store = collector.store
        let expected: [(MetricKey, Result<String, MetricError>)] = [
            (Self.objectKey("rps", on: "shop"), .success("9167m")),
            (.object(ObjectMetricKey(namespace: "shop", resource: GroupResource(resource: "pods"), name: "cart-rps", metric: "rps")), .success("3056m")),
            (.external(ExternalMetricKey(namespace: "shop", metric: "prometheus-query", labels: ["query-name": "queue"])), .success("45")),
            (.pods(PodsMetricKey(namespace: "shop", metric: "rps", target: "Deployment/pods")), .success("shop-1=5833m,shop-2=3333m")),
            (Self.objectKey("rps", on: "split"), .failure(.tooManySeries(2))),
        ]
        for (key, value) in expected {
            try await harness.eventually("\(key) = \(value)") { Self.value(store, key) == value }
            let actual = Self.value(store, key)
            #expect(actual == value, "\(String(describing: actual))")
        }
        // One Prometheus request serves both HPAs asking for the same query.
        #expect(await collector.queryCount == 4)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func oneRequestPerIntervalForASharedQueryAndNoneOnceItsHPAsAreGone() async throws {
        let harness = try await Harness()
        let (collector, task) = harness.startCollector()
        let annotations = ["metric-config.object.rps.prometheus/query": Self.rps, "metric-config.object.rps.prometheus/interval": "1s"]
        try await harness.createHPA("a", annotations, metrics: [Self.objectMetric("rps", on: "a")])
        try await harness.createHPA("b", annotations, metrics: [Self.objectMetric("rps", on: "b")])
        try await harness.eventually("both values") {
            let a = Self.value(collector.store, Self.objectKey("rps", on: "a"))
            let b = Self.value(collector.store, Self.objectKey("rps", on: "b"))
            return a == .success("9167m") && b == .success("9167m")
        }
        // Both HPAs' metric is one query, run by one job.
        #expect(await collector.queryCount == 1)

        try await harness.client.delete(HorizontalPodAutoscaler.self, namespace: "shop", name: "a")
        try await harness.eventually("a's value dropped") { collector.store.reading(Self.objectKey("rps", on: "a"), now: Date()) == nil }
        #expect(Self.value(collector.store, Self.objectKey("rps", on: "b")) == .success("9167m"))
        try await harness.client.delete(HorizontalPodAutoscaler.self, namespace: "shop", name: "b")
        try await harness.eventually("every value dropped") { collector.store.keys.isEmpty }
        // No job is left to query anything.
        #expect(await collector.queryCount == 0)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func anInformerRunBySomeoneElseIsShared() async throws {
        let harness = try await Harness()
        try await harness.createHPA("early", ["metric-config.object.rps.prometheus/query": Self.rps], metrics: [Self.objectMetric("rps", on: "early")])
        // The operator's informer, synced before the collector starts.
        let informer = Informer<HorizontalPodAutoscaler>(client: harness.client, watchTimeoutSeconds: 30)
        let running = Task { await informer.run() }
        await informer.waitForSync()
        let (collector, task) = harness.startCollector(sharing: informer)
        try await harness.createHPA("late", ["metric-config.object.rps.prometheus/query": Self.rps], metrics: [Self.objectMetric("rps", on: "late")])
        for name in ["early", "late"] {
            try await harness.eventually("\(name) collected") { Self.value(collector.store, Self.objectKey("rps", on: name)) == .success("9167m") }
        }
        // Stopping the collector leaves the shared informer running.
        task.cancel()
        _ = try? await task.value
        #expect(await collector.queryCount == 0)
        #expect(informer.hasSynced && informer.count == 2)
        running.cancel()
        await harness.stop()
    }

    @Test func valuesOlderThanTheMaxAgeAreRefused() async throws {
        let harness = try await Harness()
        // The collector's clock is 200 s behind: every value it stores is already too old to serve.
        let (collector, task) = harness.startCollector(now: { Date().addingTimeInterval(-200) })
        try await harness.createHPA(
            "shop", ["metric-config.object.rps.prometheus/query": Self.rps, "metric-config.object.rps.prometheus/interval": "1m"],
            metrics: [Self.objectMetric("rps", on: "shop")])
        let key = Self.objectKey("rps", on: "shop")
        try await harness.eventually("a stale reading") {
            if case .failure(.stale) = collector.store.reading(key, now: Date()) { return true }
            return false
        }
        // At least 200 s old; more by however long a loaded machine took since the collection.
        guard case .failure(.stale(let age, 180))? = Self.value(collector.store, key, now: Date()) else {
            Issue.record("expected a stale reading against a 180 s max age")
            return
        }
        #expect((200..<260).contains(age))
        // Read at the collector's own time it is fresh.
        #expect(Self.value(collector.store, key, now: Date().addingTimeInterval(-199)) == .success("9167m"))
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func onlyTheLeaderWritesEvents() async throws {
        let harness = try await Harness()
        let (collector, task) = harness.startCollector(leading: false)
        try await harness.createHPA(
            "shop", ["metric-config.object.rps.prometheus/query": Self.rps, "metric-config.object.rps.prometheus/interval": "soon"],
            metrics: [Self.objectMetric("rps", on: "shop")])
        try await harness.createHPA("fine", ["metric-config.object.rps.prometheus/query": Self.rps], metrics: [Self.objectMetric("rps", on: "fine")])
        // It still collects what is valid.
        try await harness.eventually("fine collected") { Self.value(collector.store, Self.objectKey("rps", on: "fine")) == .success("9167m") }
        #expect(try await harness.client.list(Event.self, namespace: "shop").items.isEmpty)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func invalidConfigGivesOneWarningEventPerChange() async throws {
        let harness = try await Harness()
        let (collector, task) = harness.startCollector()
        var hpa = try await harness.createHPA(
            "shop",
            [
                "metric-config.object.rps.prometheus/query": Self.rps,
                "metric-config.object.rps.prometheus/interval": "soon",
            ], metrics: [Self.objectMetric("rps", on: "shop")])
        func warnings() async throws -> [Event] {
            try await harness.client.list(Event.self, namespace: "shop").items.filter { $0.reason == Collector.invalidConfigReason }
        }
        try await harness.eventually("a warning event") { try await warnings().count == 1 }
        let event = try #require(try await warnings().first)
        #expect(event.type == "Warning")
        #expect(event.involvedObject.kind == "HorizontalPodAutoscaler")
        #expect(event.message == "metric-config.object.rps.prometheus/interval: 'soon' is not a duration (examples: 30s, 1m, 1m30s)")
        #expect(collector.store.keys.isEmpty)

        // The HPA controller writes status every 15 s: that is no reason to warn again.
        hpa.status = HorizontalPodAutoscalerStatus(currentReplicas: 2, desiredReplicas: 2)
        hpa = try await harness.client.updateStatus(hpa)
        // (Checked below, once the fix after it in the same watch has been handled.)

        // Fixed: collected, and no new warning.
        hpa.metadata.annotations?["metric-config.object.rps.prometheus/interval"] = "30s"
        _ = try await harness.client.update(hpa)
        try await harness.eventually("collected") { Self.value(collector.store, Self.objectKey("rps", on: "shop")) == .success("9167m") }
        #expect(try await warnings().count == 1)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}
