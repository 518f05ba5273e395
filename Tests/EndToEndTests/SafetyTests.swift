import Foundation
import Hummingbird
import KubeClient
import Synchronization
import TestSupport
import Testing

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
            try await cluster.send(
                "POST", "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers",
                [
                    "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                    "metadata": [
                        "name": "probe",
                        "annotations": [
                            "metric-config.object.rps.prometheus/query": "sum(up)",
                            "metric-config.object.rps.prometheus/prometheus-server": bait.url,
                            "metric-config.object.rps.prometheus/interval": "1s",
                        ],
                    ],
                    "spec": [
                        "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "probe"], "minReplicas": 1, "maxReplicas": 3,
                        "metrics": [
                            [
                                "type": "Object",
                                "object": [
                                    "describedObject": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "probe"],
                                    "metric": ["name": "rps"], "target": ["type": "Value", "value": "1"],
                                ],
                            ]
                        ],
                    ],
                ] as [String: Any])
            try await cluster.eventually("InvalidMetricConfig on the HPA") {
                try await cluster.events(namespace, about: "probe").contains { $0.reason == "InvalidMetricConfig" && $0.message?.contains("not a configured Prometheus server") == true }
            }
            #expect(try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/probe/rps") == nil)
            #expect(requests.load(ordering: .relaxed) == 0, "the collector fetched a URL an annotation named")
            await bait.stop()
        }

        /// #17: with --enforce-namespace-label, a team's query reads only its own namespace's
        /// series (TARGETS show 7, not 77); one naming another namespace is refused on the HPA
        /// (InvalidMetricConfig); one that does not parse is refused on the workload before any HPA.
        @Test func queriesStayInsideTheirNamespace() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator(overrides: ["--enforce-namespace-label=namespace"])
            let namespace = "tenant-a"
            try await cluster.makeNamespace(namespace)
            cluster.exporter.set("e2e_tenant_value", ["namespace": namespace], to: 7)
            cluster.exporter.set("e2e_tenant_value", ["namespace": "tenant-b"], to: 70)
            let domain = Cluster.domain
            func annotations(_ query: String) -> [String: String] {
                [
                    "\(domain)/minReplicas": "1", "\(domain)/maxReplicas": "3", "prometheus.rps.\(domain)/query": query,
                    "prometheus.rps.\(domain)/targetValue": "1000", "prometheus.rps.\(domain)/interval": "1s",
                ]
            }
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: annotations("sum(e2e_tenant_value)"))
            try await cluster.createWorkload(namespace: namespace, name: "sneaky", annotations: annotations(#"sum(e2e_tenant_value{namespace="tenant-b"})"#))
            try await cluster.createWorkload(namespace: namespace, name: "broken", annotations: annotations("sum(e2e_tenant_value"))
            try await cluster.eventually("web's own value through the aggregator") {
                try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/web/rps") == ["7"]
            }
            try await cluster.eventually("InvalidMetricConfig on sneaky's HPA") {
                try await cluster.events(namespace, about: "sneaky").contains {
                    $0.reason == "InvalidMetricConfig" && $0.message?.contains(#"the matcher namespace="tenant-b" could select series of namespaces other than tenant-a"#) == true
                }
            }
            #expect(try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/sneaky/rps") == nil)
            try await cluster.eventually("InvalidHPAAnnotations on broken, naming the column") {
                try await cluster.events(namespace, about: "broken").contains {
                    $0.reason == "InvalidHPAAnnotations" && $0.message?.contains("prometheus.rps.\(domain)/query: unexpected end of input at column 21") == true
                }
            }
            #expect(try await cluster.hpa(namespace, "broken") == nil)
        }
    }
}
