import KubeModel
import Testing

@testable import Autoscaling

let pausedKey = "\(domain)/paused"
let pausedReplicasKey = "\(domain)/paused-replicas"
let scaleUpKey = "\(domain)/scale-up"
let scaleDownKey = "\(domain)/scale-down"

@Suite("Annotations: pause and freeze")
struct HoldAnnotationTests {
    static let web = WorkloadReference(kind: "Deployment", name: "web", namespace: "shop", uid: "u")

    static func hpa(_ extra: [String: String?]) throws -> HorizontalPodAutoscaler {
        HPABuilder.build(try spec(annotations(extra)), for: web, style: .object)
    }

    @Test func pausedHoldsBothDirectionsAndKeepsTheBounds() throws {
        let parsed = try spec(annotations([pausedKey: "true"]))
        #expect(parsed.hold == Hold(paused: true))
        let hpa = try Self.hpa([pausedKey: " True "])
        #expect(hpa.spec.minReplicas == 1 && hpa.spec.maxReplicas == 10)
        #expect(hpa.spec.behavior?.scaleUp?.selectPolicy == "Disabled" && hpa.spec.behavior?.scaleDown?.selectPolicy == "Disabled")
        #expect(Hold.holdsBoth(hpa))
        // Unpaused, the HPA is as the other annotations say.
        #expect(try Self.hpa([pausedKey: "false"]) == Self.hpa([:]))
        #expect(try Self.hpa([:]).spec.behavior == nil)
    }

    @Test func pausedReplicasNarrowsTheBoundsToTheCount() throws {
        let held = try Self.hpa([pausedReplicasKey: "3"])
        #expect(held.spec.minReplicas == 3 && held.spec.maxReplicas == 3 && Hold.holdsBoth(held))
        #expect(try spec(annotations([pausedReplicasKey: "3"])).hold == Hold(paused: true, replicas: 3))
        // Beyond maxReplicas too: the count asked for is held.
        #expect(try Self.hpa([pausedReplicasKey: "25"]).spec.maxReplicas == 25)
        // At 0 the HPA controller does not act; the HPA keeps a floor of 1 and the operator sets 0.
        let zero = try Self.hpa([pausedReplicasKey: "0"])
        #expect(zero.spec.minReplicas == 1 && zero.spec.maxReplicas == 1 && Hold.holdsBoth(zero))
        #expect(try spec(annotations([pausedReplicasKey: "0"])).hold.replicas == 0)
    }

    @Test func oneDirectionFreezesKeepingTheRestOfBehavior() throws {
        let window = "\(domain)/scaleDownStabilizationWindowSeconds"
        let down = try Self.hpa([scaleDownKey: "disabled", window: "600"])
        #expect(down.spec.behavior?.scaleDown == HPAScalingRules(stabilizationWindowSeconds: 600, selectPolicy: "Disabled"))
        #expect(down.spec.behavior?.scaleUp == nil && !Hold.holdsBoth(down))
        let up = try Self.hpa([scaleUpKey: "Disabled", scaleDownKey: "enabled"])
        #expect(up.spec.behavior?.scaleUp?.selectPolicy == "Disabled" && up.spec.behavior?.scaleDown == nil)
        // A behavior annotation's selectPolicy gives way to the freeze.
        let behavior = #"{"scaleUp":{"selectPolicy":"Min","policies":[{"type":"Pods","value":2,"periodSeconds":60}]}}"#
        let frozen = try Self.hpa([scaleUpKey: "disabled", "\(domain)/behavior": behavior])
        #expect(frozen.spec.behavior?.scaleUp?.selectPolicy == "Disabled" && frozen.spec.behavior?.scaleUp?.policies?.count == 1)
        #expect(try spec(annotations([scaleUpKey: "disabled", scaleDownKey: "disabled"])).hold.description == "scale-up and scale-down disabled")
    }

    @Test func badValuesAreWorded() {
        #expect(problems(annotations([pausedKey: "yes"])) == ["\(pausedKey): must be true or false, got 'yes'"])
        #expect(problems(annotations([pausedReplicasKey: "three"])) == ["\(pausedReplicasKey): 'three' is not a whole number"])
        #expect(problems(annotations([pausedReplicasKey: "-1"])) == ["\(pausedReplicasKey): must be 0 or more replicas to hold, got -1"])
        #expect(
            problems(annotations([pausedReplicasKey: "2", pausedKey: "false"])) == [
                "\(pausedReplicasKey): holds the workload at 2 replicas, which is a pause, but \(pausedKey) is false: remove one of them"
            ])
        #expect(problems(annotations([scaleDownKey: "off"])) == ["\(scaleDownKey): must be disabled or enabled, got 'off'"])
    }
}
