/// How prometheus metrics are expressed in the generated HPA (`--metric-style`, SPEC §2).
public enum MetricStyle: String, CaseIterable, Hashable, Sendable {
    /// Object metric described by the workload itself; our default.
    case object
    /// Object metric described by a pseudo Pod `<workload>-<metric>` (Banzai 0.1.5, kube-metrics-adapter).
    case pod
    /// External metric `prometheus-query` selected by `query-name` (Banzai 0.2).
    case external
}
