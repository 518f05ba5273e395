import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

extension SecondRealCluster {
    /// The chart installed, upgraded and uninstalled by Helm's own SDK on the real apiserver; the
    /// operator runs with the chart's arguments and its ServiceAccount's token (so its RBAC is
    /// proven), and `hpa-operator check` runs with the chart's `helm test` arguments.
    @Suite("Helm chart", .enabled(if: HelmSDK.available, "skipped: \(HelmSDK.hint)")) struct Helm {
        static let release = "helm"
        static let fullname = "helm-hpa-operator"
        static let namespace = Cluster.operatorNamespace
        static let apiServices = ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"]

        @Test(.needsControllers) func installCheckUpgradeAndUninstall() async throws {
            let cluster = try Cluster.current
            let admin = cluster.plane.adminKubeconfig.path
            // The APIServices have fixed names: config/default's make way for the release's, and
            // come back at the end.
            await cluster.stopAllOperators()
            _ = try await cluster.plane.kubectl(["delete", "apiservice"] + Self.apiServices)
            var values: [String: Any] = ["prometheus": ["server": cluster.prometheus.url], "replicas": 1]
            let manifest = try await HelmSDK.install(kubeconfig: admin, values: values, release: Self.release, namespace: Self.namespace)
            try await cluster.plane.pointService(Self.fullname, namespace: Self.namespace)
            let kubeconfig = try await cluster.plane.serviceAccountKubeconfig(Self.fullname, namespace: Self.namespace)
            let ready = Task { await Self.markPodsReady(cluster) }
            defer { ready.cancel() }

            try await Self.startOperator(cluster, manifest: manifest, kubeconfig: kubeconfig)
            try await cluster.waitForAPIServices()
            // A workload the release's operator autoscales: its HPA outlives the release.
            cluster.export(scenario: "helm", 20)
            try await cluster.makeNamespace("helm-app")
            try await cluster.createWorkload(namespace: "helm-app", name: "web", annotations: Cluster.annotations(scenario: "helm"))
            try await cluster.eventually("the release's operator to create the HPA") { try await cluster.hpa("helm-app", "web") != nil }

            let check = try await Self.checkArguments(values) + ["--workload=helm-app/web", "--kubeconfig=\(kubeconfig.path)"]
            let passed = try await Tool.run(BuiltProduct.path("hpa-operator"), check)
            #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
            for line in [
                "✔ apiservice v1beta2.custom.metrics.k8s.io: Available", "✔ deployment \(Self.namespace)/\(Self.fullname): rolled out",
                "✔ leader lease \(Self.namespace)/\(Self.fullname): held by", "✔ prometheus \(cluster.prometheus.url): answers queries",
                "✔ metrics API custom.metrics.k8s.io/v1beta2: served through the aggregator", "✔ workload helm-app/web: HPA has current metrics",
            ] {
                #expect(passed.stdout.contains(line), "\(line)\n\(passed.stdout)")
            }

            // check names the cause: Prometheus down, then an APIService the aggregator cannot reach.
            await cluster.prometheus.stop()
            let noPrometheus = try await Tool.run(BuiltProduct.path("hpa-operator"), check.filter { !$0.hasPrefix("--wait") })
            #expect(noPrometheus.status == 1)
            #expect(noPrometheus.stdout.contains("✘ prometheus \(cluster.prometheus.url): ") && noPrometheus.stdout.contains("connection refused"), "\(noPrometheus.stdout)")
            try await cluster.prometheus.start()
            await cluster.stopOperator("helm-operator")
            try await cluster.eventually("check to report the APIService unavailable") {
                let result = try await Tool.run(BuiltProduct.path("hpa-operator"), check.filter { !$0.hasPrefix("--wait") && !$0.hasPrefix("--workload") })
                return result.status == 1 && result.stdout.contains("✘ apiservice v1beta2.custom.metrics.k8s.io: not Available")
            }

            // Upgrade: the external metrics group left to another adapter, debug logs. The release
            // converges to the new render and the operator keeps working with it.
            values["apiServices"] = ["externalMetricsV1beta1": false]
            values["log"] = ["level": "debug"]
            let upgraded = try await HelmSDK.upgrade(kubeconfig: admin, values: values, release: Self.release, namespace: Self.namespace)
            try await cluster.eventually("the external APIService to be removed") {
                (try? await cluster.client.get(APIService.self, namespace: nil, name: "v1beta1.external.metrics.k8s.io")) == nil
            }
            let deployment = try await cluster.json("/apis/apps/v1/namespaces/\(Self.namespace)/deployments/\(Self.fullname)")
            let arguments =
                (((((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first?["args"] as? [String]) ?? []
            #expect(arguments.contains("--log-level=debug") && arguments.contains("--apiservice=v1beta2.custom.metrics.k8s.io"), "\(arguments)")
            try await Self.startOperator(cluster, manifest: upgraded, kubeconfig: kubeconfig)
            let afterUpgrade = try await Tool.run(BuiltProduct.path("hpa-operator"), try await Self.checkArguments(values) + ["--kubeconfig=\(kubeconfig.path)"])
            #expect(afterUpgrade.status == 0, "\(afterUpgrade.stdout)\(afterUpgrade.stderr)")
            #expect(!afterUpgrade.stdout.contains("v1beta1.external.metrics.k8s.io"))

            // Uninstall: everything the chart made is gone; the generated HPA stays with its workload.
            await cluster.stopOperator("helm-operator")
            try await HelmSDK.uninstall(kubeconfig: admin, release: Self.release, namespace: Self.namespace)
            for path in [
                "/apis/rbac.authorization.k8s.io/v1/clusterroles/\(Self.fullname)", "/apis/rbac.authorization.k8s.io/v1/clusterroles/\(Self.fullname):metrics-reader",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/\(Self.fullname)",
                "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/\(Self.fullname):extension-apiserver-authentication-reader",
                "/apis/rbac.authorization.k8s.io/v1/namespaces/\(Self.namespace)/roles/\(Self.fullname)", "/api/v1/namespaces/\(Self.namespace)/serviceaccounts/\(Self.fullname)",
                "/api/v1/namespaces/\(Self.namespace)/services/\(Self.fullname)", "/apis/apps/v1/namespaces/\(Self.namespace)/deployments/\(Self.fullname)",
                "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/\(Self.fullname)", "/apis/apiregistration.k8s.io/v1/apiservices/v1beta2.custom.metrics.k8s.io",
            ] {
                try await cluster.eventually("\(path) to be gone") { (try? await cluster.client.raw("GET", path)) == nil }
            }
            #expect(try await cluster.hpa("helm-app", "web") != nil, "the generated HPA belongs to its workload, not to the release")

            // config/default back for the scenarios after this one.
            _ = try await cluster.plane.kubectl(["apply", "-k", ClusterBinaries.packageRoot.appendingPathComponent("config/default").path])
            try await cluster.useOperator()
            try await cluster.waitForAPIServices()
            #expect(cluster.forbiddenLines().isEmpty, "\(cluster.forbiddenLines())")
        }

        /// `run` with the release's Deployment arguments and the ServiceAccount's token.
        static func startOperator(_ cluster: Cluster, manifest: String, kubeconfig: URL) async throws {
            let arguments = try ControlPlane.runArguments(in: manifest) + ["--kubeconfig=\(kubeconfig.path)"]
            try await cluster.startOperator("helm-operator", arguments: arguments)
        }

        /// What the chart's `helm test` Pod runs, for these values.
        static func checkArguments(_ values: [String: Any]) async throws -> [String] {
            let hook = try #require(try await HelmSDK.render(values, release: release, namespace: namespace).first { $0.key.hasSuffix("tests/check.yaml") }?.value)
            return ["check"] + (try ControlPlane.runArguments(in: hook, command: "check"))
        }

        /// No kubelet runs: the release's pods are marked Running and Ready, as for workloads.
        static func markPodsReady(_ cluster: Cluster) async {
            while !Task.isCancelled {
                await KubeletStandIn.markReady(client: cluster.client, labelSelector: "app.kubernetes.io/instance=\(release)")
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
    }
}
