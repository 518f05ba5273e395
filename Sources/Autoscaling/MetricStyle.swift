/// How prometheus metrics are expressed in the generated HPA (`--metric-style`; README, "The generated HPA").
public enum MetricStyle: String, CaseIterable, Hashable, Sendable {
    /// Object metric described by the workload itself; our default.
    case object
    /// An Object metric described by a Pod named for the workload, `<workload>-<metric>` (no such pod
    /// exists; Banzai 0.1.5 and kube-metrics-adapter's form). Not the HPA's `Pods` metric type. The
    /// flag value is `pod`.
    case objectOnWorkloadPod = "pod"
    /// External metric `prometheus-query` selected by `query-name` (Banzai 0.2).
    case external
}
