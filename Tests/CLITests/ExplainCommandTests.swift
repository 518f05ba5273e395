import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// `hpa-operator explain` against the apiserver double: a workload, the HPA our annotations give
/// it, and the status the HPA controller would have written.
@Suite struct ExplainCommandTests {
    static let annotations = [
        "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "10",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "sum(rate(http_requests_total[2m]))",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40",
        "hpa.autoscaling.banzaicloud.io/fallbackReplicas": "3",
    ]

    @Test func itExplainsTheReplicasFromTheHPAsStatus() async throws {
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
        defer { Task { await server.stop() } }
        let client = KubeClient(config: ClientConfig(server: server.url))
        let kubeconfig = try CLI.kubeconfig(server: server.url)
        _ = try await client.create(Deployment(metadata: ObjectMeta(name: "web", namespace: "shop", annotations: Self.annotations), spec: WorkloadSpec(replicas: 6)))

        // No HPA yet: said, with what hpa-operator makes of the annotations.
        let none = try await CLI.run(["explain", "shop/web", "--kubeconfig", kubeconfig])
        #expect(none.status == 1)
        #expect(none.stderr.contains("error: no HorizontalPodAutoscaler scales Deployment shop/web; fallback: while a prometheus or alertmanager metric cannot be read"), "\(none.stderr)")

        let target = CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web")
        var hpa = try await client.create(
            HorizontalPodAutoscaler(
                metadata: ObjectMeta(name: "web", namespace: "shop"),
                spec: HorizontalPodAutoscalerSpec(
                    scaleTargetRef: target, minReplicas: 1, maxReplicas: 10,
                    metrics: [
                        MetricSpec(object: ObjectMetricSource(describedObject: target, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(40))))
                    ])))
        hpa.status = try JSONDecoder().decode(
            HorizontalPodAutoscalerStatus.self,
            from: Data(
                #"""
                {"currentReplicas": 4, "desiredReplicas": 6, "currentMetrics": [{"type": "Object", "object": {"metric": {"name": "rps"},
                  "describedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "current": {"averageValue": "52500m"}}}],
                 "conditions": [{"type": "AbleToScale", "status": "True", "reason": "SucceededRescale", "message": "the HPA controller was able to update the target scale to 6"}]}
                """#.utf8))
        _ = try await client.updateStatus(hpa)

        let text = try await CLI.run(["explain", "shop/web", "--kubeconfig", kubeconfig])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "HorizontalPodAutoscaler shop/web scales Deployment with 6 replicas (min 1, max 10, tolerance ±10%)")
        #expect(lines.contains { $0.hasPrefix("rps ") && $0.contains("Object") && $0.contains("52500m") && $0.hasSuffix("6") }, "\(text.stdout)")
        #expect(lines.contains("Why 6:"))
        #expect(lines.contains("  - the largest proposal wins: rps with 6"))
        #expect(lines.contains("The HPA controller asked for 6 at its last sync"))
        #expect(lines.contains("  AbleToScale=True SucceededRescale: the HPA controller was able to update the target scale to 6"))
        #expect(lines.contains("The replay uses the 4 replicas the controller computed from at its last sync"))
        #expect(lines.contains("Next: the controller scaled from 4 to 6 at its last sync; it computes again from 6 at its next sync (every 15 s by default)"))

        let json = try await CLI.run(["explain", "shop/web", "--kubeconfig", kubeconfig, "-o", "json"])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let explanation = try #require(answer["explanation"] as? [String: Any])
        #expect(answer["workload"] as? String == "Deployment shop/web")
        #expect(explanation["desiredByMetrics"] as? Int == 6 && explanation["winner"] as? String == "rps")
        #expect((explanation["metrics"] as? [[String: Any]])?.first?["proposal"] as? Int == 6)
    }

    @Test func whatIsMissingIsSaid() async throws {
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        let kubeconfig = try CLI.kubeconfig(server: server.url)
        let missing = try await CLI.run(["explain", "shop/nope", "--kubeconfig", kubeconfig])
        #expect(missing.status == 1 && missing.stderr.contains("error: no Deployment or StatefulSet shop/nope"), "\(missing.stderr)")
        let bad = try await CLI.run(["explain", "web"])
        #expect(bad.status == 64 && bad.stderr.contains("give NAMESPACE/NAME, got 'web'"), "\(bad.stderr)")
        let kind = try await CLI.run(["explain", "shop/web", "--kind", "DaemonSet"])
        #expect(kind.status == 64 && kind.stderr.contains("--kind: Deployment or StatefulSet, got 'DaemonSet'"), "\(kind.stderr)")
    }
}
