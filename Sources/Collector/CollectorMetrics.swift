import Foundation
import Prometheus
import Synchronization

/// The collector's own metrics, on the plain `/metrics` port: how long queries take and how they
/// fail, per server; how many metrics are collected; and how old the oldest value served is.
public final class CollectorMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let durations = Mutex<[String: DurationHistogram]>([:])
    private let errors = Mutex<[String: Counter]>([:])
    private let collected: Gauge
    private let oldest: Gauge
    private let fallbacks = Mutex<[MetricKey: Gauge]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        collected = registry.makeGauge(name: "hpa_operator_collector_metrics", help: "Metrics the collector collects now (one per HPA metric key).")
        oldest = registry.makeGauge(
            name: "hpa_operator_collector_oldest_value_age_seconds",
            help: "Age of the oldest value the metrics API serves (0 when none); grows when Prometheus stops answering.")
    }

    func recordQuery(server: String, duration: Duration) {
        let histogram = durations.withLock { all in
            if let histogram = all[server] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "hpa_operator_collector_query_duration_seconds", labels: [("server", server)],
                buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(2.5), .seconds(10), .seconds(30)],
                help: "Time for one Prometheus query, by server.")
            all[server] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    func recordError(server: String, reason: String) {
        let counter = errors.withLock { all in
            let key = "\(server)|\(reason)"
            if let counter = all[key] { return counter }
            let counter = registry.makeCounter(
                name: "hpa_operator_collector_errors_total", labels: [("server", server), ("reason", reason)],
                help: "Failed collections, by server and reason.")
            all[key] = counter
            return counter
        }
        counter.increment()
    }

    /// `hpa_operator_collector_fallback{hpa, metric} 1` while a metric is served from its
    /// fallback; the series goes when the fallback ends.
    func fallback(_ key: MetricKey, _ served: MetricStore.ServedFallback?) {
        fallbacks.withLock { all in
            if let served {
                guard all[key] == nil else { return }
                let gauge = registry.makeGauge(
                    name: "hpa_operator_collector_fallback", labels: [("hpa", served.rule.hpa.description), ("metric", served.rule.metric)],
                    help: "1 while the metric is served from its HPA's fallbackReplicas because it cannot be read.")
                gauge.set(to: 1)
                all[key] = gauge
            } else if let gauge = all.removeValue(forKey: key) {
                registry.unregisterGauge(gauge)
            }
        }
    }

    /// Brings the gauges up to date from the store (before each scrape).
    public func update(from store: MetricStore, now: Date) {
        let snapshot = store.snapshot(now: now)
        collected.set(to: Double(snapshot.count))
        let served = snapshot.values.filter { if case .success = $0.outcome { true } else { false } }.map(\.collectedAt)
        oldest.set(to: served.min().map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }
}

extension PrometheusError {
    /// A short label for `/metrics`.
    var reason: String {
        switch self {
        case .api: "prometheus-error"
        case .http: "http-error"
        case .undecodable: "undecodable"
        case .timeout: "timeout"
        case .unreachable: "unreachable"
        case .tooLarge: "too-large"
        }
    }
}

extension MetricError {
    /// A short label for `/metrics`.
    var reason: String {
        switch self {
        case .noData: "no-data"
        case .tooManySeries: "too-many-series"
        case .notFinite: "not-finite"
        case .rangeVector, .stringResult, .podsNeedVector: "wrong-result-type"
        case .outOfRange: "out-of-range"
        case .prometheus(let error): error.reason
        case .podLabelMissing, .duplicatePod: "bad-pod-series"
        case .zeroReplicas, .replicasUnavailable: "replicas"
        case .noPodsFor: "no-pods-for-selector"
        case .pending: "pending"
        case .stale: "stale"
        case .alerts(.unknown), .alerts(.outdated): "alerts-unknown"
        case .alerts(.notANumber): "alert-value"
        case .unsupportedCollector: "unsupported-collector"
        }
    }
}
