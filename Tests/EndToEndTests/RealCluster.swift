import TestSupport
import Testing

/// The real-control-plane suite: every scenario runs through a real kube-apiserver, its
/// aggregator and the real HPA controller (see `Cluster`). Most of its time is spent waiting for
/// the HPA controller, so the scenarios are split between two control planes whose suites run
/// side by side (about 3 min instead of 5.5 here). Each is serialized: its scenarios share one
/// control plane and, where a scenario needs other flags, restart its one operator process.
/// A scenario goes to the suite that keeps the two about equally long.
@Suite(
    "Real control plane (kube-apiserver and kube-controller-manager)", .serialized,
    .enabled(if: ClusterBinaries.available, "skipped: no Kubernetes binaries; \(ClusterBinaries.hint)"),
    ClusterScope())
struct RealCluster {}

/// The second control plane: the Helm chart, and the scenarios that wait through scale-to-zero
/// and alert schedules.
@Suite(
    "Real control plane, second instance", .serialized,
    .enabled(if: ClusterBinaries.available, "skipped: no Kubernetes binaries; \(ClusterBinaries.hint)"),
    ClusterScope())
struct SecondRealCluster {}

extension Trait where Self == ConditionTrait {
    /// A scenario that needs kube-controller-manager (the HPA controller, the Deployment,
    /// StatefulSet or garbage collector): skipped, with a line, where envtest's assets have none.
    static var needsControllers: Self {
        .enabled(if: ClusterBinaries.hasControllerManager, Comment(rawValue: ClusterBinaries.noControllersReason))
    }
}
