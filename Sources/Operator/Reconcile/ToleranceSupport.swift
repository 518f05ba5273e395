import Autoscaling
import Foundation
import KubeModel
import Synchronization

/// Whether the apiserver keeps an HPA's `behavior.scaleUp.tolerance` and `scaleDown.tolerance`.
/// Kubernetes stores them only with the HPAConfigurableTolerance feature gate (alpha in 1.33, on
/// by default from 1.35); elsewhere they are dropped without a word, even under strict field
/// validation (shared/k8s-wire/v1.33), and so may a mutating admission policy. Written anyway at
/// every resync, the HPA would never be what we want, and the user would believe in a tolerance
/// the controller never sees.
///
/// Learnt from our own writes, where the truth is: an HPA written with a tolerance and stored
/// without it says its namespace's writes drop tolerances. That is remembered per namespace for
/// `recheckAfter` (a gate changes only when the apiserver restarts; a policy, when someone edits
/// it), and meanwhile HPAs there are written without tolerances, with a warning on the workload.
/// No request of its own: nothing extra for followers, nothing that can fail an HPA in sync.
final class ToleranceSupport: Sendable {
    private let recheckAfter: Duration
    private let dropping = Mutex<[String: ContinuousClock.Instant]>([:])

    init(recheckAfter: Duration = .seconds(600)) {
        self.recheckAfter = recheckAfter
    }

    static let warningReason = "ToleranceNotKept"
    static let warning =
        "behavior tolerance is not kept by this apiserver (it needs Kubernetes 1.33 or later with the HPAConfigurableTolerance feature gate, on by default from 1.35, on the apiserver and kube-controller-manager; or an admission policy removes it); the HPA is written without it, and the controller's --horizontal-pod-autoscaler-tolerance (0.1 by default) applies"

    /// `hpa` as it is to be written: without its tolerances where its namespace drops them
    /// (then `left` is true, and the workload is to be warned).
    func writable(_ hpa: HorizontalPodAutoscaler) -> (hpa: HorizontalPodAutoscaler, left: Bool) {
        guard Self.hasTolerance(hpa), isDropping(hpa.metadata.namespace ?? "") else { return (hpa, false) }
        var stripped = hpa
        stripped.spec.behavior?.scaleUp?.tolerance = nil
        stripped.spec.behavior?.scaleDown?.tolerance = nil
        return (stripped, true)
    }

    /// Whether a write of `hpa` should read the stored HPA back, to learn from it.
    func wantsAnswer(_ hpa: HorizontalPodAutoscaler) -> Bool {
        Self.hasTolerance(hpa)
    }

    /// After `written` was stored as `stored`: true (and remembered) when its tolerances were dropped.
    func learn(written: HorizontalPodAutoscaler, stored: HorizontalPodAutoscaler) -> Bool {
        guard Self.hasTolerance(written), !Self.hasTolerance(stored) else { return false }
        dropping.withLock { $0[written.metadata.namespace ?? ""] = .now }
        return true
    }

    private func isDropping(_ namespace: String) -> Bool {
        dropping.withLock { known in
            guard let since = known[namespace] else { return false }
            if since.duration(to: .now) < recheckAfter { return true }
            known[namespace] = nil
            return false
        }
    }

    private static func hasTolerance(_ hpa: HorizontalPodAutoscaler) -> Bool {
        hpa.spec.behavior?.scaleUp?.tolerance != nil || hpa.spec.behavior?.scaleDown?.tolerance != nil
    }
}
