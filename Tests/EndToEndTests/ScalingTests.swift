import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

extension RealCluster {
    /// Scenarios 2–4 and 7: the HPA the operator writes, read by the real HPA controller through
    /// the aggregator, scales the Deployment with the exported value, in every metric style.
    @Suite("Scaling on our metrics") struct Scaling {
        /// Scenarios 2 and 3, object style: the HPA exists with the controller ownerReference, and
        /// `kubectl get --raw` through the aggregator serves the query's value on v1beta1 and v1beta2.
        @Test(.needsControllers) func objectStyleScalesUpAndDown() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "scale-object"
            try await cluster.makeScenario(namespace)
            let uid = try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA") { try await cluster.hpa(namespace, "web") != nil }
            let hpa = try #require(try await cluster.hpa(namespace, "web"))
            #expect(hpa.apiVersion == "autoscaling/v2")
            #expect(hpa.metadata.ownerReferences == [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: uid, controller: true, blockOwnerDeletion: true)])
            #expect(hpa.metadata.labels?["app.kubernetes.io/managed-by"] == "hpa-operator")
            #expect(cluster.operatorWrites(namespace: namespace).map(\.verb).count >= 1)

            cluster.export(scenario: namespace, 40)
            for version in ["v1beta1", "v1beta2"] {
                try await cluster.eventually("\(version) to serve 40") {
                    try await cluster.rawValues("/apis/custom.metrics.k8s.io/\(version)/namespaces/\(namespace)/deployments.apps/web/rps") == ["40"]
                }
            }
            try await scales(cluster, namespace: namespace, upTo: 4, thenDownTo: 2, lower: { cluster.export(scenario: namespace, 20) })
            // What `kubectl get hpa` shows as TARGETS: the controller's current value, 20 over 2 replicas.
            try await cluster.eventually("currentMetrics averageValue 10") {
                try await cluster.hpa(namespace, "web")?.status?.currentMetrics?.first?.object?.current.averageValue == Quantity(parsing: "10")
            }
        }

        /// Scenario 4, pod style (Banzai 0.1.5 / kube-metrics-adapter's form): a Value target on a
        /// per-replica value, which the HPA controller multiplies by the ready pods.
        @Test(.needsControllers) func podStyleScalesUpAndDown() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator(overrides: ["--metric-style=pod"])
            let namespace = "scale-pod"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the pod-style HPA") {
                try await cluster.hpa(namespace, "web")?.spec.metrics?.first?.object?.describedObject.name == "web-rps"
            }
            cluster.export(scenario: namespace, 40)
            try await cluster.eventually("v1beta2 to serve 40 per replica") {
                try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/pods/web-rps/rps") == ["40"]
            }
            try await scales(cluster, namespace: namespace, upTo: 4, thenDownTo: 2, lower: { cluster.export(scenario: namespace, 20) })
        }

        /// Scenario 4, external style (Banzai 0.2): `prometheus-query` selected by `query-name`.
        @Test(.needsControllers) func externalStyleScalesUpAndDown() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator(overrides: ["--metric-style=external"])
            let namespace = "scale-external"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the external-style HPA") { try await cluster.hpa(namespace, "web")?.spec.metrics?.first?.type == .external }
            // A second workload in the namespace with a metric of the same name and another query:
            // each HPA reads its own value (before, both read one).
            cluster.export(scenario: "\(namespace)-other", 7)
            try await cluster.createWorkload(namespace: namespace, name: "other", annotations: Cluster.annotations(scenario: "\(namespace)-other", min: 1, max: 1))
            cluster.export(scenario: namespace, 40)
            let base = "/apis/external.metrics.k8s.io/v1beta1/namespaces/\(namespace)/prometheus-query?labelSelector=hpa-operator%2Fworkload%3D"
            try await cluster.eventually("the external metrics API to serve 40 for web and 7 for other") {
                let (web, other) = (try await cluster.rawValues(base + "web%2Cquery-name%3Drps"), try await cluster.rawValues(base + "other%2Cquery-name%3Drps"))
                return web == ["40"] && other == ["7"]
            }
            try await cluster.eventually("other's HPA to show its own value") {
                try await cluster.hpa(namespace, "other")?.status?.currentMetrics?.first?.external?.current.averageValue == Quantity(7)
            }
            try await scales(cluster, namespace: namespace, upTo: 4, thenDownTo: 2, lower: { cluster.export(scenario: namespace, 20) })
        }

        /// Scenario 4, a hand-written HPA with a Pods metric: one series per pod, by its `pod` label.
        @Test(.needsControllers) func handWrittenPodsMetricScalesUpAndDown() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "scale-pods"
            try await cluster.makeNamespace(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "worker")
            try await cluster.send(
                "POST", "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers",
                [
                    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": [
                        "name": "worker",
                        "annotations": [
                            "metric-config.pods.queue-depth.prometheus/query": "e2e_pod_value{namespace=\"\(namespace)\"}",
                            "metric-config.pods.queue-depth.prometheus/interval": "1s",
                        ],
                    ],
                    "spec": [
                        "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "worker"],
                        "minReplicas": 1, "maxReplicas": 10,
                        "metrics": [["type": "Pods", "pods": ["metric": ["name": "queue-depth"], "target": ["type": "AverageValue", "averageValue": "10"]]]],
                        "behavior": ["scaleDown": ["stabilizationWindowSeconds": 0]],
                    ],
                ] as [String: Any])
            @Sendable func pods() async throws -> [String] {
                let items = try await cluster.json("/api/v1/namespaces/\(namespace)/pods")["items"] as? [[String: Any]] ?? []
                return items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
            }
            // Every pod reports `perPod`, once there are `count` of them (a pod without a value
            // counts as at target when scaling down, and would hold the HPA at 3).
            @Sendable func exportPods(_ perPod: Double, count: Int) async throws {
                try await cluster.eventually("\(count) pods") { try await pods().count == count }
                for pod in try await pods() { cluster.exporter.set("e2e_pod_value", ["namespace": namespace, "pod": pod], to: perPod) }
            }
            try await exportPods(40, count: 1)
            try await cluster.eventually("the pods metric API to serve 40 for the pod") {
                try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/pods/%2A/queue-depth?labelSelector=app%3Dworker") == ["40"]
            }
            try await scales(cluster, namespace: namespace, name: "worker", upTo: 4, thenDownTo: 2, lower: { try await exportPods(5, count: 4) })
        }

        /// Scenario 7: Prometheus down → the HPA says ScalingActive=False with the collector's words
        /// and the replicas stay; Prometheus back → values return within an interval or two.
        @Test(.needsControllers) func aPrometheusOutageHoldsReplicasAndRecovers() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "outage"
            try await cluster.makeNamespace(namespace)
            cluster.export(scenario: namespace, 30)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("3 replicas") { try await cluster.replicas(namespace: namespace, name: "web") == 3 }
            try await cluster.eventually("ScalingActive=True") { cluster.condition("ScalingActive", of: try await cluster.hpa(namespace, "web"))?.status == "True" }

            await cluster.prometheus.stop()
            try await cluster.eventually("ScalingActive=False with the collector's error") {
                guard let condition = cluster.condition("ScalingActive", of: try await cluster.hpa(namespace, "web")) else { return false }
                return condition.status == "False" && condition.message.contains("connection refused")
            }
            let condition = try #require(cluster.condition("ScalingActive", of: try await cluster.hpa(namespace, "web")))
            #expect(condition.reason == "FailedGetObjectMetric", "\(condition)")
            // And /metrics says so, by server and reason.
            let process = try cluster.operatorProcess("operator-a")
            #expect(await process.sample("hpa_operator_collector_errors_total", matching: "reason=\"unreachable\"") ?? 0 > 0)
            #expect(try await cluster.replicas(namespace: namespace, name: "web") == 3)

            try await cluster.prometheus.start()
            let restarted = ContinuousClock.now
            try await cluster.eventually("the value to be served again") {
                try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/web/rps") == ["30"]
            }
            let recovery = ContinuousClock.now - restarted
            // The query's interval is 1 s; allow for Prometheus's first scrape and a loaded machine.
            #expect(recovery < .seconds(10), "values came back \(recovery) after Prometheus was ready")
            try await cluster.eventually("ScalingActive=True again") { cluster.condition("ScalingActive", of: try await cluster.hpa(namespace, "web"))?.status == "True" }
            #expect(try await cluster.replicas(namespace: namespace, name: "web") == 3)
        }

        /// Raises the value (the caller already exported the high one), waits for `up` replicas,
        /// lowers it and waits for `down`.
        func scales(
            _ cluster: Cluster, namespace: String, name: String = "web", upTo up: Int, thenDownTo down: Int,
            lower: @Sendable () async throws -> Void
        ) async throws {
            try await cluster.eventually("\(name) to scale up to \(up)") { try await cluster.replicas(namespace: namespace, name: name) == up }
            try await lower()
            try await cluster.eventually("\(name) to scale down to \(down)") { try await cluster.replicas(namespace: namespace, name: name) == down }
        }
    }
}

extension Cluster {
    /// `kubectl get --raw PATH` through the aggregator: the items' values, or nil while it errs.
    func rawValues(_ path: String) async throws -> [String]? {
        let result = try await Tool.run(try Tool.path("kubectl", hint: "kubectl"), ["--kubeconfig", plane.adminKubeconfig.path, "get", "--raw", path])
        guard result.status == 0, let list = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let items = list["items"] as? [[String: Any]]
        else { return nil }
        return items.compactMap { $0["value"] as? String }
    }
}
