import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Synchronization

/// Whether the apiserver keeps an HPA's `behavior.scaleUp.tolerance` and `scaleDown.tolerance`.
/// Kubernetes stores them only with the HPAConfigurableTolerance feature gate (alpha in 1.33, on
/// by default from 1.35); elsewhere they are dropped without a word, even under strict field
/// validation (shared/k8s-wire/v1.33). Written anyway, the HPA would differ from what we want
/// after every write, and the user would believe in a tolerance the controller never sees.
///
/// So it is learnt by asking: a dry-run create of the HPA about to be written, under a generated
/// name (nothing is stored), the first time an HPA has a tolerance, and again once the answer is
/// `recheckAfter` old (a gate changes only when the apiserver restarts).
final class ToleranceSupport: Sendable {
    private let recheckAfter: Duration
    private let known = Mutex<(keeps: Bool, at: ContinuousClock.Instant)?>(nil)

    init(recheckAfter: Duration = .seconds(600)) {
        self.recheckAfter = recheckAfter
    }

    /// `hpa` as it can be written, and the warning when its tolerances had to be left out.
    func writable(_ hpa: HorizontalPodAutoscaler, dryRunCreate: (HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler) async throws
        -> (HorizontalPodAutoscaler, AnnotationProblem?) {
        guard Self.hasTolerance(hpa.spec.behavior) else { return (hpa, nil) }
        if try await keeps(hpa, dryRunCreate) == false {
            var stripped = hpa
            stripped.spec.behavior?.scaleUp?.tolerance = nil
            stripped.spec.behavior?.scaleDown?.tolerance = nil
            return (stripped, Self.notKept)
        }
        return (hpa, nil)
    }

    static let notKept = AnnotationProblem.warning(
        AnnotationKeys.behavior,
        "tolerance is not kept by this apiserver (it needs Kubernetes 1.33 or later with the HPAConfigurableTolerance feature gate, on by default from 1.35); the HPA is written without it, and the controller's --horizontal-pod-autoscaler-tolerance (0.1 by default) applies")

    /// nil when this HPA cannot tell: the apiserver refuses its create as invalid or forbidden
    /// (a quota, a policy), which says nothing of the gate; it is then written as it is, and the
    /// write reports what is wrong.
    private func keeps(_ hpa: HorizontalPodAutoscaler, _ dryRunCreate: (HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler) async throws -> Bool? {
        let now = ContinuousClock.now
        if let known = known.withLock({ $0 }), known.at.duration(to: now) < recheckAfter { return known.keeps }
        var probe = hpa
        probe.metadata = ObjectMeta(namespace: hpa.metadata.namespace)
        probe.metadata.generateName = "hpa-operator-tolerance-probe-"
        let answer: HorizontalPodAutoscaler
        do {
            answer = try await dryRunCreate(probe)
        } catch KubeError.invalid, KubeError.forbidden {
            return nil
        }
        let keeps = Self.hasTolerance(answer.spec.behavior)
        known.withLock { $0 = (keeps, now) }
        return keeps
    }

    private static func hasTolerance(_ behavior: HorizontalPodAutoscalerBehavior?) -> Bool {
        behavior?.scaleUp?.tolerance != nil || behavior?.scaleDown?.tolerance != nil
    }
}
