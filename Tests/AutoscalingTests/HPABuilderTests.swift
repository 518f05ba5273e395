import KubeModel
import Testing

@testable import Autoscaling

@Suite("HPA builder")
struct HPABuilderTests {
    static let workload = WorkloadReference(kind: "Deployment", name: "shop", namespace: "ms-test", uid: "0d5a-uid")
    static let query = #"sum(rate(http_requests_total{app="shop"}[2m]))"#
    static let spec = AutoscalingSpec(
        minReplicas: 1, maxReplicas: 10,
        resourceMetrics: [ResourceMetric(name: "cpu", target: .utilization(70))],
        prometheusMetrics: [
            PrometheusMetric(name: "rps", query: query, target: .averageValue(Quantity(40)), interval: "15s", server: "thanos"),
            PrometheusMetric(name: "errors", query: "sum(rate(errors_total[1m]))", target: .value(Quantity(milli: 500))),
        ])

    static var expectedMetadata: ObjectMeta {
        ObjectMeta(
            name: "shop", namespace: "ms-test", labels: ["app.kubernetes.io/managed-by": "hpa-operator"],
            ownerReferences: [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "shop", uid: "0d5a-uid", controller: true, blockOwnerDeletion: true)])
    }

    static let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))
    static let scaleTarget = CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "shop")

    @Test func objectStyle() {
        let hpa = HPABuilder.build(Self.spec, for: Self.workload, style: .object)
        var metadata = Self.expectedMetadata
        metadata.annotations = [
            "metric-config.object.rps.prometheus/query": Self.query,
            "metric-config.object.rps.prometheus/interval": "15s",
            "metric-config.object.rps.prometheus/prometheus-server": "thanos",
            "metric-config.object.errors.prometheus/query": "sum(rate(errors_total[1m]))",
        ]
        let described = Self.scaleTarget
        #expect(
            hpa
                == HorizontalPodAutoscaler(
                    metadata: metadata,
                    spec: HorizontalPodAutoscalerSpec(
                        scaleTargetRef: Self.scaleTarget, minReplicas: 1, maxReplicas: 10,
                        metrics: [
                            Self.cpu,
                            MetricSpec(object: ObjectMetricSource(describedObject: described, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(40)))),
                            MetricSpec(object: ObjectMetricSource(describedObject: described, metric: MetricIdentifier(name: "errors"), target: .value(Quantity(milli: 500)))),
                        ])))
        #expect(hpa.apiVersion == "autoscaling/v2" && hpa.kind == "HorizontalPodAutoscaler")
    }

    @Test func podStyleMovesAveragingIntoTheCollector() {
        let hpa = HPABuilder.build(Self.spec, for: Self.workload, style: .objectOnWorkloadPod)
        #expect(hpa.metadata.annotations?["metric-config.object.rps.prometheus/per-replica"] == "true")
        #expect(hpa.metadata.annotations?["metric-config.object.errors.prometheus/per-replica"] == nil)
        #expect(hpa.metadata.annotations?["metric-config.object.rps.prometheus/query"] == Self.query)
        let rps = hpa.spec.metrics?[1].object
        #expect(rps?.describedObject == CrossVersionObjectReference(apiVersion: "v1", kind: "Pod", name: "shop-rps"))
        #expect(rps?.target == .value(Quantity(40)))
        #expect(hpa.spec.metrics?[2].object?.describedObject.name == "shop-errors")
        #expect(hpa.spec.metrics?[2].object?.target == .value(Quantity(milli: 500)))
    }

    @Test func externalStyleIsBanzaisPrometheusQuery() {
        let spec = AutoscalingSpec(
            minReplicas: 2, maxReplicas: 4,
            prometheusMetrics: [
                PrometheusMetric(name: "customMetricName", query: "sum(queue_depth)", target: .averageValue(Quantity(100)), interval: "1m")
            ])
        let hpa = HPABuilder.build(spec, for: Self.workload, style: .external)
        #expect(
            hpa.metadata.annotations == [
                "metric-config.external.prometheus-query.prometheus/customMetricName": "sum(queue_depth)",
                "metric-config.external.prometheus-query.prometheus/interval": "1m",
            ])
        #expect(
            hpa.spec.metrics == [
                MetricSpec(
                    external: ExternalMetricSource(
                        metric: MetricIdentifier(name: "prometheus-query", selector: LabelSelector(matchLabels: ["query-name": "customMetricName", "hpa-operator/workload": "shop"])),
                        target: .averageValue(Quantity(100))))
            ])
        // What the HPA controller sends: the workload's own value only, never another workload's
        // metric of the same name in the namespace.
        #expect(hpa.spec.metrics?.first?.external?.metric.selector?.selector.description == "hpa-operator/workload=shop,query-name=customMetricName")
    }

    @Test func longWorkloadNamesGetAStableLabelValue() {
        let long = String(repeating: "a", count: 70)
        #expect(ExternalQuery.workloadValue(long).count <= 63)
        #expect(ExternalQuery.workloadValue(long) == ExternalQuery.workloadValue(long))
        #expect(ExternalQuery.workloadValue(long) != ExternalQuery.workloadValue(long + "b"))
        #expect(ExternalQuery.workloadValue("web") == "web")
    }

    @Test func externalStyleRefusesWhatItCannotExpress() {
        let spec = AutoscalingSpec(
            minReplicas: 1, maxReplicas: 2,
            prometheusMetrics: [
                PrometheusMetric(name: "interval", query: "vector(1)", target: .value(Quantity(1))),
                PrometheusMetric(name: "a", query: "vector(2)", target: .value(Quantity(1)), interval: "30s"),
                PrometheusMetric(name: "b", query: "vector(3)", target: .value(Quantity(1)), interval: "1m"),
            ])
        #expect(HPABuilder.problems(spec, style: .object).isEmpty)
        #expect(HPABuilder.problems(spec, style: .objectOnWorkloadPod).isEmpty)
        #expect(
            HPABuilder.problems(spec, style: .external).map(\.description) == [
                "prometheus.interval.hpa.autoscaling.banzaicloud.io/query: a metric cannot be named 'interval' with --metric-style external: kube-metrics-adapter reserves that key",
                "prometheus.a.hpa.autoscaling.banzaicloud.io/interval: with --metric-style external every prometheus metric of a workload must have the same interval",
                "prometheus.b.hpa.autoscaling.banzaicloud.io/interval: with --metric-style external every prometheus metric of a workload must have the same interval",
            ])
        let shared = AutoscalingSpec(
            minReplicas: 1, maxReplicas: 2,
            prometheusMetrics: [
                PrometheusMetric(name: "a", query: "vector(2)", target: .value(Quantity(1)), server: "thanos"),
                PrometheusMetric(name: "b", query: "vector(3)", target: .value(Quantity(1)), server: "thanos"),
            ])
        #expect(HPABuilder.problems(shared, style: .external).isEmpty)
    }

    @Test func noOwnerReferenceWithoutUID() {
        let hpa = HPABuilder.build(Self.spec, for: WorkloadReference(kind: "Deployment", name: "shop"), style: .object)
        #expect(hpa.metadata.ownerReferences == nil)
        #expect(hpa.metadata.namespace == nil)
    }

    @Test func resourceOnlyHPAHasNoAnnotations() {
        let spec = AutoscalingSpec(
            minReplicas: 1, maxReplicas: 3,
            resourceMetrics: [
                ResourceMetric(name: "cpu", target: .averageValue(Quantity(milli: 500))),
                ResourceMetric(name: "memory", target: .utilization(80)),
            ])
        let hpa = HPABuilder.build(spec, for: Self.workload, style: .object)
        #expect(hpa.metadata.annotations == nil)
        #expect(
            hpa.spec.metrics == [
                MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .averageValue(Quantity(milli: 500)))),
                MetricSpec(resource: ResourceMetricSource(name: "memory", target: .utilization(80))),
            ])
    }

    @Test func behaviorIsCopied() {
        var spec = Self.spec
        spec.behavior = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 60))
        #expect(HPABuilder.build(spec, for: Self.workload, style: .object).spec.behavior == spec.behavior)
    }
}

@Suite("Desired HPA for a workload")
struct DesiredHPATests {
    static func statefulSet(metadata: [String: String]?, template: [String: String]?) -> StatefulSet {
        StatefulSet(
            metadata: ObjectMeta(name: "events", namespace: "streaming", uid: "u-1", annotations: metadata),
            spec: WorkloadSpec(replicas: 2, template: PodTemplate(metadata: ObjectMeta(annotations: template))))
    }

    @Test func unannotatedWorkloadsWantNoHPA() {
        #expect(DesiredHPA(for: Self.statefulSet(metadata: ["a": "b"], template: nil), style: .object) == .none)
    }

    @Test func statefulSetFromTemplateAnnotations() {
        let desired = DesiredHPA(for: Self.statefulSet(metadata: ["prometheus.io/scrape": "true"], template: annotations()), style: .object)
        guard case .hpa(let hpa, let warnings) = desired else {
            Issue.record("\(desired)")
            return
        }
        #expect(warnings.isEmpty)
        #expect(hpa.spec.scaleTargetRef == CrossVersionObjectReference(apiVersion: "apps/v1", kind: "StatefulSet", name: "events"))
        #expect(hpa.metadata.ownerReferences?.first?.kind == "StatefulSet")
        #expect(hpa.spec.metrics?.first?.object?.describedObject.kind == "StatefulSet")
    }

    @Test func invalidAnnotationsWantNoChange() {
        let desired = DesiredHPA(for: Self.statefulSet(metadata: annotations([minKey: "-1"]), template: nil), style: .object)
        #expect(desired == .invalid([.error(minKey, "must be at least 1 (or 0, with an activation threshold), got -1")]))
    }

    @Test func styleProblemsMakeTheWorkloadInvalid() {
        let metric = "prometheus.query.\(domain)/"
        let desired = DesiredHPA(for: Self.statefulSet(metadata: [minKey: "1", maxKey: "2", metric + "query": "vector(1)", metric + "targetValue": "1"], template: nil), style: .external)
        guard case .invalid(let problems) = desired else {
            Issue.record("\(desired)")
            return
        }
        #expect(problems.map(\.key) == [metric + "query"])
    }
}
