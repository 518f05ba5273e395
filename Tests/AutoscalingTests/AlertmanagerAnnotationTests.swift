import KubeModel
import Testing

@testable import Autoscaling

func alert(_ metric: String, _ field: String) -> String { "alertmanager.\(metric).\(domain)/\(field)" }

/// Bounds and one alertmanager metric `scale` (alertname HpaTrigger, targetValue 30), with `extra` merged over them.
func alertAnnotations(_ extra: [String: String?] = [:]) -> [String: String] {
    var base: [String: String] = [minKey: "1", maxKey: "10", alert("scale", "alertname"): "HpaTrigger", alert("scale", "targetValue"): "30"]
    for (key, value) in extra { base[key] = value }
    return base
}

@Suite("Alertmanager metrics: annotations and the HPA they make (#21)")
struct AlertmanagerAnnotationTests {
    static let workload = WorkloadReference(kind: "Deployment", name: "worker", namespace: "jobs", uid: "u-1")

    @Test func anAlertMetricIsEnoughForAnHPA() throws {
        let parsed = try spec(alertAnnotations([alert("scale", "matchLabels"): #"{"action":"scale-out"}"#]))
        #expect(parsed.alertMetrics == [AlertMetric(name: "scale", alertname: "HpaTrigger", matchLabels: ["action": "scale-out"], target: .value(Quantity(30)))])
        #expect(parsed.prometheusMetrics.isEmpty)
        #expect(try spec(alertAnnotations([alert("scale", "targetValue"): nil, alert("scale", "targetAverageValue"): "5"])).alertMetrics[0].target == .averageValue(Quantity(5)))
        #expect(try spec(alertAnnotations([alert("scale", "workloadLabel"): "app"])).alertMetrics[0].workloadLabel == "app")
    }

    @Test(
        arguments: [
            ([alert("scale", "alertname"): nil], "\(alert("scale", "alertname")): is required"),
            ([alert("scale", "alertname"): "  "], "\(alert("scale", "alertname")): is empty"),
            ([alert("scale", "targetValue"): nil], "\(alert("scale", "alertname")): has no target"),
            ([alert("scale", "targetValue"): "lots"], "\(alert("scale", "targetValue")): "),
            ([alert("scale", "matchLabels"): "action=scale-out"], "\(alert("scale", "matchLabels")): "),
            ([alert("scale", "matchLabels"): #"{"namespace":"other"}"#], "\(alert("scale", "matchLabels")): "),
            ([alert("scale", "matchLabels"): #"{"n":1}"#], "\(alert("scale", "matchLabels")): "),
            ([alert("scale", "workloadLabel"): "9lives"], "\(alert("scale", "workloadLabel")): '9lives' is not a label name"),
            ([alert("Scale_", "alertname"): "X", alert("Scale_", "targetValue"): "1"], "\(alert("Scale_", "alertname")): metric name 'Scale_' is not valid"),
            (
                [rps("query"): "up", rps("targetValue"): "1", alert("rps", "alertname"): "X", alert("rps", "targetValue"): "1"],
                "\(alert("rps", "alertname")): the metric name 'rps' is also a prometheus metric"
            ),
        ] as [([String: String?], String)])
    func badAnnotationsAreErrorsThatNameTheKey(extra: [String: String?], message: String) {
        let found = problems(alertAnnotations(extra))
        #expect(found.contains { $0.hasPrefix(message) }, "\(found)")
    }

    @Test func theHPAGetsAnExternalMetricOfTheWorkloadsOwn() throws {
        let parsed = try spec(alertAnnotations([alert("scale", "matchLabels"): #"{"trigger":"hpa","action":"scale-out"}"#]))
        let hpa = HPABuilder.build(parsed, for: Self.workload, style: .object)
        let metric = try #require(hpa.spec.metrics?.first?.external)
        #expect(metric.metric.name == "scale")
        #expect(metric.metric.selector == LabelSelector(matchLabels: ["hpa-operator/workload": "worker"]))
        #expect(metric.target == .value(Quantity(30)))
        let annotations = hpa.metadata.annotations ?? [:]
        #expect(annotations["metric-config.external.scale.alertmanager/alertname"] == "HpaTrigger")
        #expect(annotations["metric-config.external.scale.alertmanager/workload-label"] == "deployment")
        #expect(annotations["metric-config.external.scale.alertmanager/match-labels"] == #"{"action":"scale-out","trigger":"hpa"}"#)
        // The style only shapes prometheus metrics.
        #expect(HPABuilder.build(parsed, for: Self.workload, style: .external).spec.metrics == hpa.spec.metrics)
    }

    @Test func aStatefulSetsAlertsNameItByTheStatefulsetLabel() throws {
        let hpa = HPABuilder.build(try spec(alertAnnotations()), for: WorkloadReference(kind: "StatefulSet", name: "db", namespace: "jobs", uid: "u-2"), style: .object)
        #expect(hpa.metadata.annotations?["metric-config.external.scale.alertmanager/workload-label"] == "statefulset")
    }
}
