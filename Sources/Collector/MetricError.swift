import Foundation
import KubeModel

/// Why a metric has no value to serve. Every case is worded for `kubectl describe hpa`: the
/// metrics API returns it as the 404 message, so the user reads it in the HPA's conditions.
public enum MetricError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Never 0: an empty result scaled KEDA users to zero at peak (KEDA #3065).
    case noData
    case tooManySeries(Int)
    case notFinite(String)
    case rangeVector
    case stringResult(String)
    case outOfRange(String)
    case prometheus(PrometheusError)
    case podLabelMissing(labels: [String: String])
    case duplicatePod(String)
    case podsNeedVector(String)
    case zeroReplicas(target: String)
    case replicasUnavailable(target: String, reason: String)
    /// No workload's pods metric is for the pods this selector names.
    case noPodsFor(selector: String)
    /// Planned, the first query not answered yet.
    case pending
    /// The last value is older than the metrics max age.
    case stale(ageSeconds: Int, maxAgeSeconds: Int)
    /// An alertmanager metric without a value: Alertmanager's alerts are not known, or one's value is no number.
    case alerts(AlertValueError)
    /// An HPA's metric-config names a kube-metrics-adapter collector we do not run.
    case unsupportedCollector(collector: String, hpa: String)

    /// Bounded and printable whatever came from outside (labels, statuses, curl's reasons): it
    /// reaches logs, Events and `kubectl describe hpa`.
    public var description: String { ExternalText.sanitized(text, limit: 1000) }

    private var text: String {
        switch self {
        case .noData:
            return "no data: the query returned an empty vector (it is never taken as 0)"
        case .tooManySeries(let count):
            return "query returned \(count) series; aggregate with sum() or max()"
        case .notFinite(let value):
            return "query returned \(value), which is not a usable number"
        case .rangeVector:
            return "query returned a range vector (matrix); use an instant vector, such as rate(x[2m]) instead of x[2m]"
        case .stringResult(let value):
            return "query returned the string \"\(value.prefix(100))\", not a number"
        case .outOfRange(let value):
            return "value \(value) is out of range for a Kubernetes quantity (at most about 9.2e15)"
        case .prometheus(let error):
            return error.description
        case .podLabelMissing(let labels):
            let shown = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
            return "pods metric: a series has no pod label ({\(shown)}); keep `pod` in the query's by() clause"
        case .duplicatePod(let pod):
            return "pods metric: more than one series for pod \(pod); aggregate with sum by (pod) or max by (pod)"
        case .podsNeedVector(let type):
            return "pods metric: query returned a \(type); it must return one series per pod with a pod label"
        case .zeroReplicas(let target):
            return "per-replica: \(target) has 0 replicas, so there is no per-replica value"
        case .replicasUnavailable(let target, let reason):
            return "per-replica: cannot read the replicas of \(target): \(reason)"
        case .noPodsFor(let selector):
            return "pods metric: collected for other workloads, not for the pods \(selector.isEmpty ? "asked for" : "matching \(selector)") (each HPA's pods metric serves its own scale target's pods)"
        case .pending:
            return "not collected yet: the first query has not been answered"
        case .stale(let age, let maxAge):
            return "the last value is \(age) s old, older than the metrics max age of \(maxAge) s; the collector is not getting fresh results"
        case .alerts(let error):
            return error.description
        case .unsupportedCollector(let collector, let hpa):
            return
                "HPA \(hpa) asks kube-metrics-adapter's \(collector) collector for this metric, which hpa-operator does not run: give the metric a prometheus query (metric-config.<type>.<metric>.prometheus/query), or leave it to kube-metrics-adapter"
        }
    }
}
