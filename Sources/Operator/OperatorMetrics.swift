import Prometheus
import Synchronization

/// The operator's own metrics, served on `/metrics` of the plain metrics port.
public final class OperatorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let reconcileSuccess: Counter
    let reconcileError: Counter
    let reconcileDuration: DurationHistogram
    let creates: Counter
    let patches: Counter
    let applies: Counter
    let deletes: Counter
    let queueDepth: Gauge
    let isLeader: Gauge
    private let relists: [String: Counter]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        reconcileSuccess = registry.makeCounter(name: "hpa_operator_reconcile_total", labels: [("result", "success")], help: "Reconciles by result.")
        reconcileError = registry.makeCounter(name: "hpa_operator_reconcile_total", labels: [("result", "error")], help: "Reconciles by result.")
        reconcileDuration = registry.makeDurationHistogram(
            name: "hpa_operator_reconcile_duration_seconds",
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
            ],
            help: "Time to reconcile one workload.")
        creates = registry.makeCounter(name: "hpa_operator_hpa_writes_total", labels: [("verb", "create")], help: "HPA writes by verb.")
        patches = registry.makeCounter(name: "hpa_operator_hpa_writes_total", labels: [("verb", "patch")], help: "HPA writes by verb.")
        applies = registry.makeCounter(name: "hpa_operator_hpa_writes_total", labels: [("verb", "apply")], help: "HPA writes by verb.")
        deletes = registry.makeCounter(name: "hpa_operator_hpa_writes_total", labels: [("verb", "delete")], help: "HPA writes by verb.")
        queueDepth = registry.makeGauge(name: "hpa_operator_workqueue_depth", help: "Keys waiting in the work queue.")
        isLeader = registry.makeGauge(name: "hpa_operator_is_leader", help: "1 while this instance holds the leader lease (or runs without leader election).")
        var relists: [String: Counter] = [:]
        for resource in ["deployments", "statefulsets", "horizontalpodautoscalers"] {
            relists[resource] = registry.makeCounter(name: "hpa_operator_informer_relists_total", labels: [("resource", resource)], help: "Lists after the first (410 Expired or errors).")
        }
        self.relists = relists
    }

    func relisted(_ resource: String) { relists[resource]?.increment() }

    /// Called before each scrape, for gauges computed from state (the collector's value ages).
    private let refreshers = Mutex<[@Sendable () -> Void]>([])

    public func beforeScrape(_ refresh: @escaping @Sendable () -> Void) { refreshers.withLock { $0.append(refresh) } }

    /// The Prometheus text exposition of the registry.
    public func text() -> String {
        for refresh in refreshers.withLock({ $0 }) { refresh() }
        return registry.emitToString()
    }

    /// Series made at scrape time from state other parts hold (the per-metric signals).
    private let sections = Mutex<[@Sendable () async -> String]>([])

    public func append(_ section: @escaping @Sendable () async -> String) { sections.withLock { $0.append(section) } }

    /// What `/metrics` serves: the registry, then the sections.
    public func exposition() async -> String {
        var text = text()
        for section in sections.withLock({ $0 }) { text += await section() }
        return text
    }
}
