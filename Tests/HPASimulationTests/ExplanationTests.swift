import Foundation
import HPASimulation
import KubeModel
import Testing

@Suite struct ExplanationTests {
    static let target = CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web")
    static let rps = MetricSpec(object: ObjectMetricSource(describedObject: target, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(40))))
    static let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))

    static func hpa(_ metrics: [MetricSpec], min: Int32 = 1, max: Int32 = 10, status: HorizontalPodAutoscalerStatus?) -> HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "web", namespace: "shop"),
            spec: HorizontalPodAutoscalerSpec(scaleTargetRef: target, minReplicas: min, maxReplicas: max, metrics: metrics), status: status)
    }

    static func rpsStatus(_ average: Quantity) -> MetricStatus {
        var status = try! JSONDecoder().decode(
            MetricStatus.self,
            from: Data(#"{"type":"Object","object":{"metric":{"name":"rps"},"describedObject":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"current":{"averageValue":"0"}}}"#.utf8))
        status.object?.current.averageValue = average
        return status
    }

    static func cpuStatus(_ percent: Int32) -> MetricStatus {
        try! JSONDecoder().decode(MetricStatus.self, from: Data(#"{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":\#(percent)}}}"#.utf8))
    }

    static func status(desired: Int32, current: Int32, _ metrics: [MetricStatus], able: (String, String)? = nil) -> HorizontalPodAutoscalerStatus {
        var status = HorizontalPodAutoscalerStatus(currentReplicas: current, desiredReplicas: desired, currentMetrics: metrics)
        if let able {
            status.conditions = try! JSONDecoder().decode(
                [HorizontalPodAutoscalerCondition].self, from: JSONEncoder().encode([["type": "AbleToScale", "status": "True", "reason": able.0, "message": able.1]]))
        }
        return status
    }

    /// rps 52.5 per replica on 4 against 40 asks for 6 (ceil(210 / 40)); cpu at 35 % of 70 asks for 2:
    /// rps wins. The replay is at the 4 replicas the controller read them with, though it has
    /// scaled the workload to 6 since.
    @Test func theLargestProposalWinsAndTheControllerAgrees() {
        let explained = Explanation.explain(
            Self.hpa([Self.rps, Self.cpu], status: Self.status(desired: 6, current: 4, [Self.rpsStatus(Quantity(milli: 52_500)), Self.cpuStatus(35)])), currentReplicas: 6)
        #expect(explained.replayedAt == 4 && explained.currentReplicas == 6)
        #expect(explained.metrics.map(\.proposal) == [6, 2])
        #expect(explained.metrics.map(\.current) == ["52500m", "35%"])
        #expect(explained.winner == "rps" && explained.desiredByMetrics == 6)
        #expect(explained.findings.isEmpty)
        #expect(explained.next == "the controller scaled from 4 to 6 at its last sync; it computes again from 6 at its next sync (every 15 s by default)")
        // Scaled by someone else since: said.
        let moved = Explanation.explain(Self.hpa([Self.rps], status: Self.status(desired: 6, current: 4, [Self.rpsStatus(Quantity(milli: 52_500))])), currentReplicas: 9)
        #expect(
            moved.findings == [
                "the workload has 9 replicas and the controller's last sync asked for 6: they changed since (kubectl scale, the operator's scale to zero, a rollout), or the controller could not write them"
            ])
        #expect(moved.next == "the controller computes again from 9 replicas at its next sync (every 15 s by default)")
    }

    /// A pause (selectPolicy Disabled both ways) and a frozen direction are findings, instead of
    /// a stabilization window the replay would otherwise suspect.
    @Test func aHoldIsAFinding() {
        var paused = Self.hpa([Self.rps], status: Self.status(desired: 4, current: 4, [Self.rpsStatus(Quantity(milli: 52_500))]))
        paused.spec.behavior = HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(selectPolicy: "Disabled"), scaleDown: HPAScalingRules(selectPolicy: "Disabled"))
        let held = Explanation.explain(paused, currentReplicas: 4)
        #expect(held.desiredByMetrics == 6)
        #expect(
            held.findings == [
                "autoscaling is held: the HPA scales in neither direction (selectPolicy Disabled both ways: hpa-operator's paused or paused-replicas annotation, or both directions disabled)"
            ])
        paused.spec.behavior?.scaleDown = nil
        #expect(Explanation.explain(paused, currentReplicas: 4).findings == ["scale-up is disabled (selectPolicy Disabled): the metrics ask for 6, the controller keeps 4"])
        paused.spec.behavior = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(selectPolicy: "Disabled"))
        #expect(Explanation.explain(paused, currentReplicas: 4).findings.first?.hasPrefix("the controller's last sync asked for 4, the metrics it recorded give 6") == true)
    }

    /// The controller records ceil(total / replicas): 10 over 3 is 3334m, and the total behind it
    /// is taken as 10 (a whole number in range), so against 5 per replica it proposes 2 as the
    /// controller did, not 3. Statuses pair with metrics by position.
    @Test func thePerReplicaValueIsTakenBackToItsTotal() {
        let five = MetricSpec(object: ObjectMetricSource(describedObject: Self.target, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(5))))
        let explained = Explanation.explain(Self.hpa([five], status: Self.status(desired: 2, current: 3, [Self.rpsStatus(Quantity(milli: 3_334))])), currentReplicas: 2)
        #expect(explained.metrics.first?.proposal == 2 && explained.findings.isEmpty)
        // Two metrics of one source: each reads its own entry.
        let twice = Explanation.explain(
            Self.hpa([Self.rps, Self.rps], status: Self.status(desired: 6, current: 4, [Self.rpsStatus(Quantity(40)), Self.rpsStatus(Quantity(milli: 52_500))])), currentReplicas: 6)
        #expect(twice.metrics.map(\.proposal) == [4, 6])
        // At 0 replicas a per-replica value is a division by zero: unread.
        let zero = Explanation.explain(Self.hpa([Self.rps], min: 0, status: Self.status(desired: 0, current: 0, [Self.rpsStatus(Quantity(0))])), currentReplicas: 0)
        #expect(zero.metrics.first?.proposal == nil && zero.next == "0 replicas stay until a metric reads above 0")
    }

    /// Within the band the count stays, and the explanation says what would move it.
    @Test func withinToleranceItSaysWhereTheBandEnds() {
        let explained = Explanation.explain(Self.hpa([Self.rps], status: Self.status(desired: 4, current: 4, [Self.rpsStatus(Quantity(42))])), currentReplicas: 4)
        #expect(explained.metrics.first?.proposal == 4)
        #expect(explained.metrics.first?.scalesUpAbove == "44" && explained.metrics.first?.scalesDownBelow == "36")
        #expect(explained.steps.first == "rps 42 against 40 (average per replica): 4 replicas (within the tolerance band: it moves above 44 or below 36)")
        #expect(explained.next == "4 replicas stay until a metric leaves its tolerance band: rps above 44 or below 36")
    }

    /// The metrics ask for 2, the controller held 4: its stabilization is named, as a finding.
    @Test func aHeldScaleDownIsAFindingNamingTheReason() {
        let held = Self.status(
            desired: 4, current: 4, [Self.rpsStatus(Quantity(20))], able: ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"))
        let explained = Explanation.explain(Self.hpa([Self.rps], status: held), currentReplicas: 4)
        #expect(explained.desiredByMetrics == 2 && explained.controllerDesired == 4)
        #expect(
            explained.findings == [
                "the controller's last sync asked for 4, the metrics it recorded give 2: AbleToScale says ScaleDownStabilized (recent recommendations were higher than current one, applying the highest recent recommendation)"
            ])
        #expect(explained.next == "4 replicas stay while the controller holds them (see Findings); if the metrics stay as they are, it goes to 2 once its stabilization window has passed")
    }

    /// A capped scale-up is named from ScalingLimited.
    @Test func aCappedScaleUpNamesTheLimit() {
        var capped = Self.status(desired: 8, current: 4, [Self.rpsStatus(Quantity(200))])
        capped.conditions = try! JSONDecoder().decode(
            [HorizontalPodAutoscalerCondition].self,
            from: Data(
                #"""
                [{"type": "AbleToScale", "status": "True", "reason": "SucceededRescale"},
                 {"type": "ScalingLimited", "status": "True", "reason": "ScaleUpLimit", "message": "the desired replica count is increasing faster than the maximum scale rate"}]
                """#.utf8))
        let explained = Explanation.explain(Self.hpa([Self.rps], status: capped), currentReplicas: 8)
        #expect(explained.desiredByMetrics == 10)
        #expect(
            explained.findings == [
                "the controller's last sync asked for 8, the metrics it recorded give 10: ScalingLimited says ScaleUpLimit (the desired replica count is increasing faster than the maximum scale rate)"
            ])
    }

    /// Unready pods, a second HPA and an inactive controller are each said.
    @Test func whatTheReplayCannotSeeIsSaid() {
        let lower = Self.status(desired: 4, current: 4, [Self.cpuStatus(140)])
        let unready = Explanation.explain(Self.hpa([Self.cpu], status: lower), currentReplicas: 4, readyReplicas: 2, otherHPAs: ["web-legacy"])
        #expect(unready.desiredByMetrics == 8)
        #expect(
            unready.findings == [
                "the controller's last sync asked for 4, the metrics it recorded give 8: 2 of 4 pods are ready, and the controller counts ready pods for Pods and Resource metrics and Value targets",
                "HorizontalPodAutoscaler web-legacy also scales this workload: the controller refuses to act on a target with several HPAs (AmbiguousSelector)",
            ])
        var inactive = Self.status(desired: 4, current: 4, [])
        inactive.conditions = try! JSONDecoder().decode(
            [HorizontalPodAutoscalerCondition].self,
            from: Data(
                #"""
                [{"type": "ScalingActive", "status": "False", "reason": "FailedGetObjectMetric", "message": "unable to get metric rps"}]
                """#.utf8))
        let stuck = Explanation.explain(Self.hpa([Self.rps], status: inactive), currentReplicas: 4)
        #expect(stuck.findings == ["ScalingActive is False (FailedGetObjectMetric): unable to get metric rps"])
        #expect(stuck.next == "the controller does not scale until it can compute a scale again (ScalingActive=False)")
    }

    /// An unreadable metric proposes nothing and stops a scale-down; bounds clamp; no status is said.
    @Test func unreadableMetricsBoundsAndAMissingStatus() {
        let partial = Explanation.explain(Self.hpa([Self.rps, Self.cpu], status: Self.status(desired: 4, current: 4, [Self.cpuStatus(10)])), currentReplicas: 4)
        #expect(partial.metrics.map(\.proposal) == [nil, 1])
        #expect(partial.desiredByMetrics == 4)
        #expect(partial.steps.contains("rps has no current value: it proposes nothing, and the controller will not scale down while it cannot read it"))
        #expect(partial.steps.contains("a metric cannot be read: the controller holds 4 instead of scaling down"))

        let capped = Explanation.explain(Self.hpa([Self.rps], max: 5, status: nil), currentReplicas: 4)
        #expect(capped.findings == ["the HPA has no status: the HPA controller has not synced it yet (or is not running); the replay uses the workload's 4 replicas"])
        #expect(capped.steps == ["rps has no current value: it proposes nothing, and the controller will not scale down while it cannot read it", "no metric can be read: the controller holds 4"])

        let above = Explanation.explain(Self.hpa([Self.rps], max: 5, status: Self.status(desired: 5, current: 4, [Self.rpsStatus(Quantity(100))])), currentReplicas: 5)
        #expect(above.steps.contains("10 is above maxReplicas: 5") && above.desiredByMetrics == 5 && above.findings.isEmpty)

        let outside = Explanation.explain(Self.hpa([Self.rps], max: 5, status: Self.status(desired: 5, current: 8, [Self.rpsStatus(Quantity(1))])), currentReplicas: 5)
        #expect(outside.steps == ["8 replicas are outside [1, 5]: the controller goes straight to 5, whatever the metrics read"])
    }
}
