import Foundation
import KubeModel
import Testing

@testable import Operator

@Suite("hpa-operator check: each check's verdict and advice")
struct InstallChecksTests {
    typealias Read = InstallChecks.ReadError
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func apiServices() {
        let available = APIService(metadata: ObjectMeta(name: "v1beta2.custom.metrics.k8s.io"), status: .init(conditions: [.init(type: "Available", status: "True")]))
        #expect(InstallChecks.apiService("v1beta2.custom.metrics.k8s.io", .success(available)).line == "✔ apiservice v1beta2.custom.metrics.k8s.io: Available")
        let failing = APIService(
            metadata: ObjectMeta(name: "x"),
            status: .init(conditions: [.init(type: "Available", status: "False", reason: "FailedDiscoveryCheck", message: "failing or missing response from https://10.0.0.1:443")]))
        let result = InstallChecks.apiService("v1beta1.external.metrics.k8s.io", .success(failing))
        #expect(!result.ok && result.message == "not Available (FailedDiscoveryCheck: failing or missing response from https://10.0.0.1:443)")
        #expect(result.line.hasPrefix("✘ apiservice v1beta1.external.metrics.k8s.io: not Available") && result.line.contains(" — the aggregator cannot reach"))
        #expect(InstallChecks.apiService("a", .failure(Read("gone", notFound: true))).message == "not registered")
        #expect(InstallChecks.apiService("a", .success(APIService(metadata: ObjectMeta(name: "a")))).message == "has no Available condition yet")
    }

    static func deployment(replicas: Int32 = 2, updated: Int32 = 2, available: Int32 = 2, generation: Int64 = 3, observed: Int64 = 3) -> Deployment {
        var metadata = ObjectMeta(name: "hpa-operator", namespace: "ops")
        metadata.generation = generation
        return Deployment(
            metadata: metadata, spec: WorkloadSpec(replicas: replicas),
            status: WorkloadStatus(replicas: replicas, updatedReplicas: updated, availableReplicas: available, observedGeneration: observed))
    }

    @Test func rollout() {
        #expect(InstallChecks.rollout(namespace: "ops", name: "hpa-operator", .success(Self.deployment())).line == "✔ deployment ops/hpa-operator: rolled out, 2/2 available")
        #expect(InstallChecks.rollout(namespace: "ops", name: "hpa-operator", .success(Self.deployment(available: 1))).message == "1 of 2 replicas available, 2 updated")
        #expect(InstallChecks.rollout(namespace: "ops", name: "hpa-operator", .success(Self.deployment(generation: 4))).message == "the new spec is not rolled out yet")
        #expect(InstallChecks.rollout(namespace: "ops", name: "x", .failure(Read("", notFound: true))).hint?.contains("--operator-namespace") == true)
    }

    @Test func leader() {
        func lease(holder: String?, renewedAgo: Double) -> Lease {
            Lease(
                metadata: ObjectMeta(name: "hpa-operator", namespace: "ops"),
                spec: LeaseSpec(holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: nil, renewTime: Timestamp.rfc3339Micro(Self.now.addingTimeInterval(-renewedAgo)), leaseTransitions: nil))
        }
        #expect(
            InstallChecks.leader(namespace: "ops", name: "hpa-operator", .success(lease(holder: "pod-a_1", renewedAgo: 3)), now: Self.now).line == "✔ leader lease ops/hpa-operator: held by pod-a_1")
        #expect(InstallChecks.leader(namespace: "ops", name: "hpa-operator", .success(lease(holder: "pod-a_1", renewedAgo: 40)), now: Self.now).message == "held by pod-a_1 but not renewed for 40 s")
        #expect(!InstallChecks.leader(namespace: "ops", name: "hpa-operator", .success(lease(holder: "", renewedAgo: 0)), now: Self.now).ok)
        #expect(InstallChecks.leader(namespace: "ops", name: "hpa-operator", .failure(Read("", notFound: true)), now: Self.now).message == "no Lease yet")
    }

    @Test func prometheusDiscoveryAndWorkload() {
        #expect(InstallChecks.prometheus("http://p:9090", error: nil).ok)
        let down = InstallChecks.prometheus("http://p:9090", error: "Prometheus http://p:9090 is unreachable: connection refused")
        #expect(!down.ok && down.line.contains("connection refused"))
        #expect(InstallChecks.discovery("custom.metrics.k8s.io/v1beta2", .success(1)).message == "served through the aggregator (1 metric collected)")
        #expect(!InstallChecks.discovery("custom.metrics.k8s.io/v1beta2", .failure(Read("HTTP 503: service unavailable"))).ok)

        var hpa = HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "web", namespace: "shop"),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web"), minReplicas: 1, maxReplicas: 3))
        #expect(InstallChecks.workload("shop/web", .success(hpa)).message == "HPA exists, but the HPA controller shows no current metrics yet")
        #expect(InstallChecks.workload("shop/web", .failure(Read("", notFound: true))).message == "has no HPA")
        hpa.status = try! JSONDecoder().decode(
            HorizontalPodAutoscalerStatus.self,
            from: Data(#"{"desiredReplicas":1,"conditions":[{"type":"ScalingActive","status":"False","reason":"FailedGetObjectMetric","message":"rps: no data"}]}"#.utf8))
        #expect(InstallChecks.workload("shop/web", .success(hpa)).message == "HPA exists, but its metrics do not read: rps: no data")
        hpa.status = try! JSONDecoder().decode(
            HorizontalPodAutoscalerStatus.self,
            from: Data(
                #"{"desiredReplicas":1,"currentMetrics":[{"type":"Object","object":{"metric":{"name":"rps"},"describedObject":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},"current":{"value":"4"}}}],"conditions":[{"type":"ScalingActive","status":"True"}]}"#
                    .utf8))
        #expect(InstallChecks.workload("shop/web", .success(hpa)).line == "✔ workload shop/web: HPA has current metrics (1)")
    }
}
