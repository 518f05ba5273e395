import KubeModel
import Testing

@testable import Operator

@Suite struct ToleranceSupportTests {
    static func hpa(_ namespace: String, tolerance: Quantity?) -> HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "web", namespace: namespace),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"),
                minReplicas: 1, maxReplicas: 5, behavior: HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(tolerance: tolerance))))
    }

    /// What one namespace's writes showed is kept for that namespace (a policy there says
    /// nothing of another), until it is due to be learnt again.
    @Test func aDroppedToleranceIsRememberedPerNamespaceForAWhile() {
        let support = ToleranceSupport()
        let wanted = Self.hpa("shop", tolerance: Quantity(milli: 50))
        #expect(support.writable(wanted) == (wanted, false))
        #expect(support.wantsAnswer(wanted) && !support.wantsAnswer(Self.hpa("shop", tolerance: nil)))
        #expect(!support.learn(written: wanted, stored: wanted), "kept: nothing to remember")
        #expect(support.writable(wanted).left == false)
        #expect(support.learn(written: wanted, stored: Self.hpa("shop", tolerance: nil)))
        #expect(support.writable(wanted) == (Self.hpa("shop", tolerance: nil), true))
        let elsewhere = Self.hpa("billing", tolerance: Quantity(milli: 50))
        #expect(support.writable(elsewhere) == (elsewhere, false))

        let forgetful = ToleranceSupport(recheckAfter: .zero)
        #expect(forgetful.learn(written: wanted, stored: Self.hpa("shop", tolerance: nil)))
        #expect(forgetful.writable(wanted) == (wanted, false), "past recheckAfter it is written, and learnt, again")
    }
}
