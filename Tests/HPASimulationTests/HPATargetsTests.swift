import HPASimulation
import KubeModel
import Testing

@Suite struct HPATargetsTests {
    static func object(_ target: MetricTarget) -> MetricSpec {
        MetricSpec(
            object: ObjectMetricSource(
                describedObject: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"),
                metric: MetricIdentifier(name: "rps"), target: target))
    }

    static let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))
    static let memory = MetricSpec(resource: ResourceMetricSource(name: "memory", target: .averageValue(try! Quantity(parsing: "512Mi"))))
    static let external = MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: "prometheus-query"), target: .value(Quantity(10_000))))
    static let pods = MetricSpec(pods: PodsMetricSource(metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(10))))

    @Test func asKubectlPrintsThem() {
        #expect(HPATargets.format([Self.object(.averageValue(Quantity(100)))], current: [Quantity(milli: 83_334)]) == "83334m/100 (avg)")
        #expect(HPATargets.format([Self.object(.value(Quantity(100)))], current: [Quantity(250)]) == "250/100")
        #expect(HPATargets.format([Self.object(.averageValue(Quantity(40)))], current: [nil]) == "<unknown>/40 (avg)")
        #expect(HPATargets.format([Self.external], current: [Quantity(25_000)]) == "25k/10k")
        #expect(HPATargets.format([Self.pods], current: [Quantity(milli: 5_500)]) == "5500m/10")
        #expect(HPATargets.format([Self.cpu], current: [nil]) == "cpu: <unknown>/70%")
        #expect(HPATargets.format([Self.cpu], current: [Quantity(85)]) == "cpu: 85%/70%")
        #expect(HPATargets.format([Self.memory], current: [nil]) == "memory: <unknown>/512Mi")
        #expect(HPATargets.format([Self.cpu, Self.memory, Self.object(.value(Quantity(1)))], current: []) == "cpu: <unknown>/70%, memory: <unknown>/512Mi + 1 more...")
        #expect(HPATargets.format([], current: []) == "<none>")
    }
}
