import Foundation
import HPASimulation
import KubeModel
import Testing

@Suite struct ExplanationTests {
    static let target = CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web")
    static let rps = MetricSpec(object: ObjectMetricSource(describedObject: target, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(40))))
    static let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))

    static func hpa(_ metrics: [MetricSpec], min: Int32 = 1, max: Int32 = 10, status: HorizontalPodAutoscalerStatus?) -> HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(metadata: ObjectMeta(name: "web", namespace: "shop"),
                                spec: HorizontalPodAutoscalerSpec(scaleTargetRef: target, minReplicas: min, maxReplicas: max, metrics: metrics), status: status)
    }

    static func rpsStatus(_ average: Quantity) -> MetricStatus {
        var status = try! JSONDecoder().decode(MetricStatus.self, from: Data(#"{"type":"Object","object":{"metric":{"name":"rps"},"describedObject":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"current":{"averageValue":"0"}}}"#.utf8))
        status.object?.current.averageValue = average
        return status
    }

    static func cpuStatus(_ percent: Int32) -> MetricStatus {
        try! JSONDecoder().decode(MetricStatus.self, from: Data(#"{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":\#(percent)}}}"#.utf8))
    }

    static func status(desired: Int32, current: Int32, _ metrics: [MetricStatus], able: (String, String)? = nil) -> HorizontalPodAutoscalerStatus {
        var status = HorizontalPodAutoscalerStatus(currentReplicas: current, desiredReplicas: desired, currentMetrics: metrics)
        if let able {
            status.conditions = try! JSONDecoder().decode([HorizontalPodAutoscalerCondition].self, from: JSONEncoder().encode([["type": "AbleToScale", "status": "True", "reason": able.0, "message": able.1]]))
        }
        return status
    }

    /// rps 52.5 per replica on 4 against 40 asks for 6 (ceil(210 / 40)); cpu at 35 % of 70 asks for 2:
    /// rps wins, and the controller, which recorded the same values, agrees.
    @Test func theLargestProposalWinsAndTheControllerAgrees() {
        let explained = Explanation.explain(Self.hpa([Self.rps, Self.cpu], status: Self.status(desired: 6, current: 4, [Self.rpsStatus(Quantity(milli: 52_500)), Self.cpuStatus(35)])), currentReplicas: 4)
        #expect(explained.metrics.map(\.proposal) == [6, 2])
        #expect(explained.metrics.map(\.current) == ["52500m", "35%"])
        #expect(explained.winner == "rps" && explained.desiredByMetrics == 6)
        #expect(explained.findings.isEmpty)
        #expect(explained.next == "the controller scales to 6 at its next sync (every 15 s by default)")
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
        let held = Self.status(desired: 4, current: 4, [Self.rpsStatus(Quantity(20))], able: ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"))
        let explained = Explanation.explain(Self.hpa([Self.rps], status: held), currentReplicas: 4)
        #expect(explained.desiredByMetrics == 2 && explained.controllerDesired == 4)
        #expect(explained.findings == ["the controller's last sync asked for 4, the metrics it recorded give 2: AbleToScale says ScaleDownStabilized (recent recommendations were higher than current one, applying the highest recent recommendation)"])
        #expect(explained.next == "4 replicas stay while the controller holds them (see Findings); if the metrics stay as they are, it goes to 2 once its stabilization window has passed")
    }

    /// A capped scale-up is named from ScalingLimited.
    @Test func aCappedScaleUpNamesTheLimit() {
        var capped = Self.status(desired: 8, current: 4, [Self.rpsStatus(Quantity(200))])
        capped.conditions = try! JSONDecoder().decode([HorizontalPodAutoscalerCondition].self, from: Data(#"""
            [{"type": "AbleToScale", "status": "True", "reason": "SucceededRescale"},
             {"type": "ScalingLimited", "status": "True", "reason": "ScaleUpLimit", "message": "the desired replica count is increasing faster than the maximum scale rate"}]
            """#.utf8))
        let explained = Explanation.explain(Self.hpa([Self.rps], status: capped), currentReplicas: 4)
        #expect(explained.desiredByMetrics == 10)
        #expect(explained.findings == ["the controller's last sync asked for 8, the metrics it recorded give 10: ScalingLimited says ScaleUpLimit (the desired replica count is increasing faster than the maximum scale rate)"])
    }

    /// An unreadable metric proposes nothing and stops a scale-down; bounds clamp; no status is said.
    @Test func unreadableMetricsBoundsAndAMissingStatus() {
        let partial = Explanation.explain(Self.hpa([Self.rps, Self.cpu], status: Self.status(desired: 4, current: 4, [Self.cpuStatus(10)])), currentReplicas: 4)
        #expect(partial.metrics.map(\.proposal) == [nil, 1])
        #expect(partial.desiredByMetrics == 4)
        #expect(partial.steps.contains("rps has no current value: it proposes nothing, and the controller will not scale down while it cannot read it"))
        #expect(partial.steps.contains("a metric cannot be read: the controller holds 4 instead of scaling down"))

        let capped = Explanation.explain(Self.hpa([Self.rps], max: 5, status: nil), currentReplicas: 4)
        #expect(capped.findings == ["the HPA has no status: the HPA controller has not synced it yet (or is not running)"])
        #expect(capped.steps == ["rps has no current value: it proposes nothing, and the controller will not scale down while it cannot read it", "no metric can be read: the controller holds 4"])

        let above = Explanation.explain(Self.hpa([Self.rps], max: 5, status: Self.status(desired: 5, current: 4, [Self.rpsStatus(Quantity(100))])), currentReplicas: 4)
        #expect(above.steps.contains("10 is above maxReplicas: 5") && above.desiredByMetrics == 5 && above.findings.isEmpty)

        let outside = Explanation.explain(Self.hpa([Self.rps], max: 5, status: Self.status(desired: 5, current: 8, [Self.rpsStatus(Quantity(1))])), currentReplicas: 8)
        #expect(outside.steps == ["8 replicas are outside [1, 5]: the controller goes straight to 5, whatever the metrics read"])
    }
}
