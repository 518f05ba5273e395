import Autoscaling
import KubeClient
import KubeModel
import Testing

@testable import Operator

@Suite struct CacheSlimmingTests {
    @Test func aWorkloadKeepsWhatReconcilingReads() {
        var workload = Deployment(
            metadata: ObjectMeta(
                name: "web", namespace: "shop", uid: "u1", labels: ["app": "web"],
                annotations: [
                    "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "4",
                    "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70", "kubectl.kubernetes.io/last-applied-configuration": "{…}",
                ]),
            spec: WorkloadSpec(
                replicas: 3, selector: LabelSelector(matchLabels: ["app": "web"]),
                template: PodTemplate(metadata: ObjectMeta(labels: ["app": "web"], annotations: ["prometheus.io/scrape": "true"]))),
            status: WorkloadStatus(replicas: 3))
        workload.metadata.resourceVersion = "42"
        workload.metadata.deletionTimestamp = "2024-05-01T12:00:00Z"
        let slim = CacheSlimming.workload(workload)
        #expect(slim.metadata.name == "web" && slim.metadata.namespace == "shop" && slim.metadata.uid == "u1")
        #expect(slim.metadata.resourceVersion == "42" && slim.metadata.deletionTimestamp == "2024-05-01T12:00:00Z")
        #expect(slim.metadata.annotations?.count == 3)
        #expect(slim.metadata.labels == nil && slim.status == nil)
        // Of the spec only the replicas (scale to zero and fallbacks read them).
        #expect(slim.spec == WorkloadSpec(replicas: 3))
        // The same HPA is built from the slim copy.
        #expect(DesiredHPA(for: slim, style: .object) == DesiredHPA(for: workload, style: .object))

        // Template annotations (the fallback) survive when they are ours.
        let templated = Deployment(
            metadata: ObjectMeta(name: "t", namespace: "shop", uid: "u2"),
            spec: WorkloadSpec(
                template: PodTemplate(
                    metadata: ObjectMeta(annotations: [
                        "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "2",
                        "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "50", "prometheus.io/port": "8080",
                    ]))))
        #expect(DesiredHPA(for: CacheSlimming.workload(templated), style: .object) == DesiredHPA(for: templated, style: .object))
        #expect(CacheSlimming.workload(templated).spec?.template?.metadata?.annotations?.count == 3)

        // Container names are kept only where an annotation names a container (its check reads them).
        let containers = PodSpec(containers: [Container(name: "app"), Container(name: "sidecar")])
        workload.spec?.template?.spec = containers
        #expect(CacheSlimming.workload(workload).spec == WorkloadSpec(replicas: 3))
        workload.metadata.annotations?["cpu.hpa.autoscaling.banzaicloud.io/container"] = "app"
        #expect(CacheSlimming.workload(workload).spec == WorkloadSpec(replicas: 3, template: PodTemplate(spec: containers)))
        #expect(DesiredHPA(for: CacheSlimming.workload(workload), style: .object) == DesiredHPA(for: workload, style: .object))
        workload.metadata.annotations?["cpu.hpa.autoscaling.banzaicloud.io/container"] = "gone"
        #expect(DesiredHPA(for: CacheSlimming.workload(workload), style: .object) == DesiredHPA(for: workload, style: .object))
        guard case .invalid = DesiredHPA(for: CacheSlimming.workload(workload), style: .object) else {
            Issue.record("a missing container must be refused from the cache too")
            return
        }
    }

    @Test func anHPAKeepsOnlyTheOwnershipTheComparisonReadsAndNoStatus() throws {
        var hpa = HorizontalPodAutoscaler(
            metadata: ObjectMeta(
                name: "web", namespace: "shop",
                annotations: [
                    "metric-config.object.rps.prometheus/query": "vector(1)", "metric-config.object.old.prometheus/query": "vector(2)", "someone.else/note": "x",
                ]),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"),
                minReplicas: 1, maxReplicas: 4, behavior: HorizontalPodAutoscalerBehavior()),
            status: HorizontalPodAutoscalerStatus(currentReplicas: 2, desiredReplicas: 2))
        hpa.metadata.managedFields = .array([
            .object([
                "manager": .string("hpa-operator"), "operation": .string("Apply"), "time": .string("2024-05-01T12:00:00Z"),
                "fieldsV1": .object([
                    "f:spec": .object(["f:maxReplicas": .object([:]), "f:behavior": .object(["f:scaleUp": .object([:])])]),
                    "f:metadata": .object(["f:annotations": .object(["f:metric-config.object.old.prometheus/query": .object([:])])]),
                ]),
            ]),
            .object([
                "manager": .string("kube-controller-manager"), "operation": .string("Update"),
                "fieldsV1": .object(["f:spec": .object(["f:metrics": .object([:])])]),
            ]),
        ])
        let slim = CacheSlimming.hpa(hpa)
        #expect(slim.status == nil)
        #expect(slim.spec == hpa.spec)
        #expect(
            slim.metadata.managedFields
                == .array([
                    .object([
                        "manager": .string("hpa-operator"), "operation": .string("Apply"),
                        "fieldsV1": .object([
                            "f:spec": .object(["f:behavior": .object([:])]),
                            "f:metadata": .object(["f:annotations": .object(["f:metric-config.object.old.prometheus/query": .object([:])])]),
                        ]),
                    ])
                ]))
        // The comparison finds the same differences in the slim copy, whatever is desired.
        var changes: [(inout HorizontalPodAutoscaler) -> Void] = [
            { _ in }, { $0.spec.maxReplicas = 9 }, { $0.spec.behavior = nil }, { $0.spec.metrics = nil },
            { $0.metadata.annotations?["metric-config.object.old.prometheus/query"] = nil },
            { $0.metadata.annotations?["someone.else/note"] = nil },
        ]
        changes.append { $0.metadata.annotations = nil }
        for change in changes {
            var desired = hpa
            desired.status = nil
            change(&desired)
            #expect(
                HPAComparison.differences(desired: desired, live: slim, fieldManager: "hpa-operator")
                    == HPAComparison.differences(desired: desired, live: hpa, fieldManager: "hpa-operator"))
        }
        // Owning nothing the comparison reads keeps no entry at all.
        hpa.metadata.managedFields = .array([
            .object([
                "manager": .string("hpa-operator"), "operation": .string("Apply"),
                "fieldsV1": .object(["f:spec": .object(["f:minReplicas": .object([:])])]),
            ])
        ])
        #expect(CacheSlimming.hpa(hpa).metadata.managedFields == nil)
    }

    @Test func cachedObjectsReadBackAsTheyWere() throws {
        // The informer caches JSON: every kind the operator caches must come back equal.
        let workload = Deployment(
            metadata: ObjectMeta(
                name: "web", namespace: "shop", uid: "u1",
                annotations: [
                    "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "4",
                    "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "sum(rate(http_requests_total{app=\"web\"}[2m]))",
                    "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40", "hpa.autoscaling.banzaicloud.io/scaleDownStabilizationWindowSeconds": "60",
                    "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70",
                ]))
        for style in MetricStyle.allCases {
            guard case .hpa(let hpa, _) = DesiredHPA(for: workload, style: style) else {
                Issue.record("\(style): no HPA")
                continue
            }
            #expect(try CachedObject(CacheSlimming.hpa(hpa)).decoded() == CacheSlimming.hpa(hpa))
        }
        #expect(try CachedObject(CacheSlimming.workload(workload)).decoded() == CacheSlimming.workload(workload))
    }

    @Test func statusOnlyUpdatesChangeNothingCached() throws {
        var workload = Deployment(
            metadata: ObjectMeta(
                name: "web", namespace: "shop", uid: "u1",
                annotations: [
                    "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "4",
                    "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70",
                ]),
            status: WorkloadStatus(replicas: 2))
        workload.metadata.resourceVersion = "1"
        var churned = workload
        churned.metadata.resourceVersion = "2"
        churned.status = WorkloadStatus(replicas: 5)
        let old = try CachedObject(CacheSlimming.workload(workload))
        let new = try CachedObject(CacheSlimming.workload(churned))
        #expect(InformerEvent.updated(old: old, new: new).changesNothingCached)
        // The resourceVersion is not in the cached JSON but comes back with the object.
        #expect(try new.decoded().metadata.resourceVersion == "2")

        var edited = churned
        edited.metadata.resourceVersion = "3"
        edited.metadata.annotations?["hpa.autoscaling.banzaicloud.io/maxReplicas"] = "9"
        #expect(!InformerEvent.updated(old: new, new: try CachedObject(CacheSlimming.workload(edited))).changesNothingCached)
        #expect(!InformerEvent.added(new).changesNothingCached && !InformerEvent.deleted(new).changesNothingCached)
    }
}
