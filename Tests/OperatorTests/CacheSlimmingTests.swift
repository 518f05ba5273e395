import Autoscaling
import KubeModel
@testable import Operator
import Testing

@Suite struct CacheSlimmingTests {
    @Test func aWorkloadKeepsWhatReconcilingReads() {
        var workload = Deployment(
            metadata: ObjectMeta(name: "web", namespace: "shop", uid: "u1", labels: ["app": "web"], annotations: [
                "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "4",
                "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70", "kubectl.kubernetes.io/last-applied-configuration": "{…}",
            ]),
            spec: WorkloadSpec(replicas: 3, selector: LabelSelector(matchLabels: ["app": "web"]),
                               template: PodTemplate(metadata: ObjectMeta(labels: ["app": "web"], annotations: ["prometheus.io/scrape": "true"]))),
            status: WorkloadStatus(replicas: 3))
        workload.metadata.resourceVersion = "42"
        workload.metadata.deletionTimestamp = "2024-05-01T12:00:00Z"
        let slim = CacheSlimming.workload(workload)
        #expect(slim.metadata.name == "web" && slim.metadata.namespace == "shop" && slim.metadata.uid == "u1")
        #expect(slim.metadata.resourceVersion == "42" && slim.metadata.deletionTimestamp == "2024-05-01T12:00:00Z")
        #expect(slim.metadata.annotations?.count == 3)
        #expect(slim.metadata.labels == nil && slim.status == nil && slim.spec == nil)
        // The same HPA is built from the slim copy.
        #expect(DesiredHPA(for: slim, style: .object) == DesiredHPA(for: workload, style: .object))

        // Template annotations (the fallback) survive when they are ours.
        let templated = Deployment(metadata: ObjectMeta(name: "t", namespace: "shop", uid: "u2"),
                                   spec: WorkloadSpec(template: PodTemplate(metadata: ObjectMeta(annotations: [
                                       "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "2",
                                       "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "50", "prometheus.io/port": "8080",
                                   ]))))
        #expect(DesiredHPA(for: CacheSlimming.workload(templated), style: .object) == DesiredHPA(for: templated, style: .object))
        #expect(CacheSlimming.workload(templated).spec?.template?.metadata?.annotations?.count == 3)
    }

    @Test func anHPAKeepsOnlyOurManagedFieldsAndNoStatus() {
        var hpa = HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "web", namespace: "shop"),
            spec: HorizontalPodAutoscalerSpec(scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"),
                                              minReplicas: 1, maxReplicas: 4),
            status: HorizontalPodAutoscalerStatus(currentReplicas: 2, desiredReplicas: 2))
        hpa.metadata.managedFields = .array([
            .object(["manager": .string("hpa-operator"), "operation": .string("Apply"),
                     "fieldsV1": .object(["f:spec": .object(["f:maxReplicas": .object([:])])])]),
            .object(["manager": .string("kube-controller-manager"), "operation": .string("Update")]),
        ])
        let slim = CacheSlimming.hpa(hpa)
        #expect(slim.status == nil)
        #expect(slim.spec == hpa.spec)
        #expect(slim.metadata.managedFields == .array([.object(["manager": .string("hpa-operator"), "operation": .string("Apply"),
                                                                "fieldsV1": .string(#"{"f:spec":{"f:maxReplicas":{}}}"#)])]))
        // The comparison reads the compact form as it reads the tree.
        var desired = hpa
        desired.spec.maxReplicas = 9
        #expect(HPAComparison.differences(desired: desired, live: slim, fieldManager: "hpa-operator")
                == HPAComparison.differences(desired: desired, live: hpa, fieldManager: "hpa-operator"))
        #expect(!HPAComparison.differences(desired: desired, live: slim, fieldManager: "hpa-operator").isEmpty)
    }
}
