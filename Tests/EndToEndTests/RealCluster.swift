import TestSupport
import Testing

/// The real-control-plane suite: every scenario runs through a real kube-apiserver, its
/// aggregator and the real HPA controller (see `Cluster`). Serialized: the scenarios share one
/// control plane and, where a scenario needs other flags, restart the one operator process.
@Suite("Real control plane (kube-apiserver and kube-controller-manager v1.26)", .serialized,
       .enabled(if: ClusterBinaries.available, "skipped: no Kubernetes binaries; \(ClusterBinaries.hint)"),
       ClusterScope())
struct RealCluster {}
