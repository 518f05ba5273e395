import Foundation
import Prometheus
import Synchronization

/// Per-request metrics of the metrics API, registered where the plain `/metrics` port serves them.
public final class MetricsAPIMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let duration: DurationHistogram
    private let requests = Mutex<[Int: Counter]>([:])
    private let certificateExpiry: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        duration = registry.makeDurationHistogram(
            name: "hpa_operator_metrics_api_request_duration_seconds",
            buckets: [.microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1)],
            help: "Time to answer one metrics API request.")
        certificateExpiry = registry.makeGauge(
            name: "hpa_operator_serving_certificate_expiry_timestamp_seconds",
            help: "When the metrics API's serving certificate expires (Unix time); alert well before it.")
    }

    public func servingCertificateExpires(_ date: Date?) {
        certificateExpiry.set(to: date?.timeIntervalSince1970 ?? 0)
    }

    func record(code: Int, duration elapsed: Duration) {
        let counter = requests.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = registry.makeCounter(
                name: "hpa_operator_metrics_api_requests_total", labels: [("code", String(code))],
                help: "Metrics API requests by HTTP status code.")
            counters[code] = counter
            return counter
        }
        counter.increment()
        duration.record(elapsed)
    }
}
