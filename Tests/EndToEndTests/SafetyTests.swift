import Foundation
import Hummingbird
import KubeClient
import Synchronization
import Testing
import TestSupport

extension RealCluster {
    /// What a tenant who may write annotations must not be able to do.
    @Suite("Safety") struct Safety {
        /// An HPA annotation naming a URL that is not a configured Prometheus makes no replica
        /// connect anywhere: the HPA gets InvalidMetricConfig, the URL not a single request.
        @Test func anAnnotationCannotMakeTheCollectorFetchAnyURL() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let requests = Atomic<Int>(0)
            let bait = try await TestHTTPServer.start(host: cluster.plane.network.hostAddress) { _, _ in
                requests.add(1, ordering: .relaxed)
                return Response(status: .ok)
            }
            let namespace = "ssrf"
            try await cluster.makeNamespace(namespace)
            try await cluster.send("POST", "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers", [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": ["name": "probe", "annotations": [
                    "metric-config.object.rps.prometheus/query": "sum(up)",
                    "metric-config.object.rps.prometheus/prometheus-server": bait.url,
                    "metric-config.object.rps.prometheus/interval": "1s",
                ]],
                "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "probe"], "minReplicas": 1, "maxReplicas": 3,
                         "metrics": [["type": "Object", "object": ["describedObject": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "probe"],
                                                                   "metric": ["name": "rps"], "target": ["type": "Value", "value": "1"]]]]],
            ] as [String: Any])
            try await cluster.eventually("InvalidMetricConfig on the HPA") {
                try await cluster.events(namespace, about: "probe").contains { $0.reason == "InvalidMetricConfig" && $0.message?.contains("not a configured Prometheus server") == true }
            }
            #expect(try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/probe/rps") == nil)
            #expect(requests.load(ordering: .relaxed) == 0, "the collector fetched a URL an annotation named")
            await bait.stop()
        }
    }
}
