import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// `hpa-operator check` against the apiserver double: what an install that is not there yet
/// looks like, in text and JSON, and bad flags. (It passes on a real install: the Helm scenario
/// of the real-control-plane suite.)
@Suite struct CheckCommandTests {
    @Test func anEmptyClusterFailsEveryCheckSayingWhatToDo() async throws {
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        let kubeconfig = try CLI.kubeconfig(server: server.url)
        let text = try await CLI.run(["check", "--kubeconfig", kubeconfig, "--apiservice", "v1beta2.custom.metrics.k8s.io"])
        #expect(text.status == 1)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "✘ apiservice v1beta2.custom.metrics.k8s.io: not registered — install it (config/default or the chart's apiServices values)")
        #expect(lines.contains("✘ deployment hpa-operator-system/hpa-operator: not found — is the operator installed in hpa-operator-system? (--operator-namespace, --operator-deployment)"))
        #expect(lines.contains { $0.hasPrefix("✘ leader lease hpa-operator-system/hpa-operator: no Lease yet") })
        #expect(lines.contains { $0.hasPrefix("✘ metrics API custom.metrics.k8s.io/v1beta2: discovery failed") })
        #expect(!lines.contains { $0.contains("prometheus") }, "no --prometheus-server: not checked")

        // A registered APIService, a rolled-out Deployment and a held Lease pass; JSON says so.
        let client = KubeClient(config: ClientConfig(server: server.url))
        _ = try await client.create(APIService(metadata: ObjectMeta(name: "v1beta2.custom.metrics.k8s.io")))
        var metadata = ObjectMeta(name: "hpa-operator", namespace: "ops")
        metadata.generation = 1
        _ = try await client.create(Deployment(metadata: metadata, spec: WorkloadSpec(replicas: 1)))
        let json = try await CLI.run([
            "check", "--kubeconfig", kubeconfig, "--apiservice", "v1beta2.custom.metrics.k8s.io", "--operator-namespace", "ops", "--leader-elect-resource-name", "", "-o", "json",
        ])
        #expect(json.status == 1)
        // The old spelling of that flag still works, with a warning.
        let old = try await CLI.run(["check", "--kubeconfig", kubeconfig, "--apiservice", "v1beta2.custom.metrics.k8s.io", "--operator-namespace", "ops", "--lease", "", "-o", "json", "--wait", "0"])
        #expect(old.stdout == json.stdout && old.stderr.contains("warning: --lease is deprecated; use --leader-elect-resource-name"), "\(old.stderr)")
        let results = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(results.map { $0["check"] as? String ?? "" } == ["apiservice v1beta2.custom.metrics.k8s.io", "deployment ops/hpa-operator", "metrics API custom.metrics.k8s.io/v1beta2"])
        #expect(results[0]["message"] as? String == "has no Available condition yet" && results[0]["ok"] as? Bool == false)
        #expect(results.allSatisfy { $0["hint"] != nil })
    }

    @Test func badFlagsAreRefusedBeforeAnythingRuns() async throws {
        let workload = try await CLI.run(["check", "--workload", "web"])
        #expect(workload.status == 64 && workload.stderr.contains("--workload: give NAMESPACE/NAME, got 'web'"), "\(workload.stderr)")
        let service = try await CLI.run(["check", "--apiservice", "v1.metrics.k8s.io"])
        #expect(service.status == 64 && service.stderr.contains("'v1.metrics.k8s.io' is not one hpa-operator serves"))
        // 0 and 0s mean one round, as the help says.
        for once in ["0", "0s"] {
            let result = try await CLI.run(["check", "--kubeconfig", "/nonexistent/kubeconfig", "--wait", once])
            #expect(result.status == 1 && result.stderr.contains("cannot configure the Kubernetes client"), "\(result.stderr)")
        }
        let negative = try await CLI.run(["check", "--wait", "-1s"])
        #expect(negative.status == 64, "\(negative.stderr)")
        let yaml = try await CLI.run(["check", "-o", "yaml"])
        #expect(yaml.status == 64 && yaml.stderr.contains("-o yaml is not written here; use text or json"), "\(yaml.stderr)")
        let missing = try await CLI.run(["check", "--kubeconfig", "/nonexistent/kubeconfig"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot configure the Kubernetes client"), "\(missing.stderr)")
    }
}
