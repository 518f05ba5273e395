import Foundation
import KubeModel
import Testing

@testable import Autoscaling

let cooldownKey = "\(domain)/cooldownPeriod"
let fallbackReplicasKey = "\(domain)/fallbackReplicas"
let fallbackAfterKey = "\(domain)/fallbackAfter"
let modeKey = "\(domain)/scaleToZero"

@Suite("Annotations: scale to zero, activation thresholds and fallback")
struct ScaleToZeroAnnotationTests {
    @Test func minReplicasZeroWithAThresholdScalesToZero() throws {
        let parsed = try spec(annotations([minKey: "0", rps("activationThreshold"): "50"]))
        #expect(parsed.minReplicas == 0)
        #expect(parsed.scaleToZero == ScaleToZero(cooldown: .seconds(300)))
        #expect(parsed.activationThresholds == ["rps": Quantity(50)])
        // The HPA's own floor stays 1: zero is the operator's to set.
        let hpa = HPABuilder.build(parsed, for: WorkloadReference(kind: "Deployment", name: "web", namespace: "shop", uid: "u"), style: .object)
        #expect(hpa.spec.minReplicas == 1)
    }

    /// `scaleToZero: native`: the HPA's own floor is 0 and the HPA controller scales to zero; no
    /// threshold is needed, and one given is said to be unused.
    @Test func nativeScaleToZeroLeavesZeroToTheHPA() throws {
        let reading = AnnotationParser.parse(annotations([minKey: "0", modeKey: "native", rps("activationThreshold"): "5"]))
        guard case .valid(let parsed, let warnings) = reading else {
            Issue.record("\(reading)")
            return
        }
        #expect(parsed.scaleToZero == ScaleToZero(native: true))
        #expect(parsed.activationThresholds.isEmpty)
        #expect(warnings.map(\.key) == [rps("activationThreshold")])
        for style in MetricStyle.allCases {
            let hpa = HPABuilder.build(parsed, for: WorkloadReference(kind: "Deployment", name: "web", namespace: "shop", uid: "u"), style: style)
            #expect(hpa.spec.minReplicas == 0)
            #expect(hpa.spec.metrics?.allSatisfy { $0.type == .object || $0.type == .external } == true)
        }
        #expect(try spec(annotations([minKey: "0", modeKey: "native"])).scaleToZero?.native == true)
        // The pod style divides a per-replica target itself, which has no value at 0.
        #expect(
            HPABuilder.problems(parsed, style: .objectOnWorkloadPod).map(\.description) == [
                "\(rps("targetAverageValue")): with \(modeKey) native and --metric-style pod, a per-replica target has no value at 0 replicas and could never wake the workload: use targetValue, or the object or external style"
            ])
        #expect(HPABuilder.problems(parsed, style: .object).isEmpty)
        #expect(try spec(annotations([minKey: "0", modeKey: " operator ", rps("activationThreshold"): "5"])).scaleToZero == ScaleToZero())
    }

    @Test func cooldownAndZeroThreshold() throws {
        let parsed = try spec(annotations([minKey: "0", rps("activationThreshold"): "0", cooldownKey: "90s"]))
        #expect(parsed.scaleToZero?.cooldown == .seconds(90))
        #expect(parsed.activationThresholds == ["rps": Quantity(0)])
    }

    @Test func fallbackIsCarriedOnTheHPA() throws {
        let parsed = try spec(annotations([fallbackReplicasKey: "4", fallbackAfterKey: "2m"]))
        #expect(parsed.fallback == Fallback(replicas: 4, after: "2m"))
        let hpa = HPABuilder.build(parsed, for: WorkloadReference(kind: "Deployment", name: "web", namespace: "shop", uid: "u"), style: .object)
        #expect(hpa.metadata.annotations?[fallbackReplicasKey] == "4")
        #expect(hpa.metadata.annotations?[fallbackAfterKey] == "2m")
        // Without fallbackAfter the collector uses 3 × the interval: nothing is written for it.
        let plain = HPABuilder.build(try spec(annotations([fallbackReplicasKey: "4"])), for: WorkloadReference(kind: "Deployment", name: "web", namespace: "shop", uid: "u"), style: .external)
        #expect(plain.metadata.annotations?[fallbackReplicasKey] == "4" && plain.metadata.annotations?[fallbackAfterKey] == nil)
    }

    @Test(
        arguments: [
            // minReplicas 0 needs a threshold, and names both keys.
            (
                [minKey: "0"],
                ["\(minKey): is 0, which needs an activation threshold: add prometheus.<metric>.\(domain)/activationThreshold (the workload wakes when that metric's value rises above it)"]
            ),
            ([minKey: "0", rps("activationThreshold"): "-1"], ["\(rps("activationThreshold")): must be 0 or more, got '-1'"]),
            ([minKey: "0", rps("activationThreshold"): "lots"], ["\(rps("activationThreshold")): 'lots' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"]),
            ([minKey: "0", rps("activationThreshold"): "5", cooldownKey: "5"], ["\(cooldownKey): '5' is not a duration (examples: 15s, 1m, 1m30s, 500ms)"]),
            ([minKey: "0", rps("activationThreshold"): "5", cooldownKey: "100ms"], ["\(cooldownKey): must be at least 1s, got '100ms'"]),
            // Without minReplicas 0 a threshold or a cooldown does nothing, and says so.
            ([rps("activationThreshold"): "5"], ["warning: \(rps("activationThreshold")): has an effect only with \(minKey) \"0\"; ignored"]),
            ([cooldownKey: "1m"], ["warning: \(cooldownKey): has an effect only with \(minKey) \"0\"; ignored"]),
            ([modeKey: "native"], ["warning: \(modeKey): has an effect only with \(minKey) \"0\"; ignored"]),
            (
                [minKey: "0", modeKey: "hpa"],
                ["\(modeKey): must be operator (the operator scales to zero, the default) or native (the HPA controller does, with Kubernetes' HPAScaleToZero feature gate), got 'hpa'"]
            ),
            // Native needs a metric that can wake a workload at 0.
            (
                [minKey: "0", modeKey: "native", rps("query"): nil, rps("targetAverageValue"): nil, "cpu.\(domain)/targetAverageUtilization": "70"],
                ["\(modeKey): native needs a prometheus or alertmanager metric (an Object or External metric): the HPA controller cannot wake a workload at 0 on cpu or memory"]
            ),
            // Fallback replicas are whole numbers within min and max.
            ([fallbackReplicasKey: "11"], ["\(fallbackReplicasKey): must be from 1 to maxReplicas (10), got 11"]),
            ([fallbackReplicasKey: "0"], ["\(fallbackReplicasKey): must be from 1 to maxReplicas (10), got 0"]),
            ([minKey: "3", fallbackReplicasKey: "2"], ["\(fallbackReplicasKey): must be from 3 to maxReplicas (10), got 2"]),
            ([minKey: "0", rps("activationThreshold"): "5", fallbackReplicasKey: "0"], ["\(fallbackReplicasKey): must be from 1 to maxReplicas (10), got 0"]),
            ([fallbackReplicasKey: "four"], ["\(fallbackReplicasKey): 'four' is not a whole number"]),
            ([fallbackReplicasKey: "4", fallbackAfterKey: "soon"], ["\(fallbackAfterKey): 'soon' is not a duration (examples: 15s, 1m, 1m30s, 500ms)"]),
            ([fallbackAfterKey: "1m"], ["warning: \(fallbackAfterKey): has an effect only with \(fallbackReplicasKey); ignored"]),
        ] as [([String: String?], [String])])
    func problem(change: [String: String?], expected: [String]) {
        #expect(problems(annotations(change)) == expected)
    }

    @Test func fallbackWithoutPrometheusMetricsIsIgnored() {
        let reading = problems([minKey: "1", maxKey: "5", "cpu.\(domain)/targetAverageUtilization": "70", fallbackReplicasKey: "2"])
        #expect(reading == ["warning: \(fallbackReplicasKey): applies to prometheus and alertmanager metrics, and this workload has none; ignored"])
    }
}
