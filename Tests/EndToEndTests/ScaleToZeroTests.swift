import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

extension SecondRealCluster {
    /// Scale to zero and back, and fallback replicas, on the real HPA controller.
    @Suite("Scale to zero and fallback") struct ScaleToZero {
        static let domain = "hpa.autoscaling.banzaicloud.io"

        /// The seed scenario: 100 rps per replica, activation at 50. Below it for the cooldown the
        /// operator sets 0 (the HPA controller then leaves the Deployment alone); above it, 1, and
        /// the HPA controller takes it to the proportional count.
        @Test(.needsControllers) func sleepsAtZeroAndWakesOnTheMetric() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "zero"
            try await cluster.makeScenario(namespace, exporting: 10)
            try await cluster.createWorkload(
                namespace: namespace, name: "web",
                annotations: Cluster.annotations(
                    scenario: namespace, min: 0, value: "100",
                    extra: [
                        "prometheus.rps.\(Self.domain)/activationThreshold": "50",
                        "\(Self.domain)/cooldownPeriod": "3s",
                    ]))
            try await cluster.eventually("the HPA, with a floor of 1") { try await cluster.hpa(namespace, "web")?.spec.minReplicas == 1 }
            try await cluster.eventually("0 replicas after the cooldown") { try await cluster.replicas(namespace: namespace, name: "web") == 0 }
            try await cluster.eventually("a ScaledToZero event naming the value") {
                try await cluster.events(namespace, about: "web").contains { $0.reason == "ScaledToZero" && ($0.message ?? "").contains("rps 10 (threshold 50)") }
            }
            try await cluster.eventually("the HPA controller to stand aside (ScalingDisabled)") {
                cluster.condition("ScalingActive", of: try await cluster.hpa(namespace, "web"))?.reason == "ScalingDisabled"
            }
            // At zero the query still runs: the metrics API keeps serving it.
            try await cluster.eventually("the value served at zero") {
                try await cluster.rawValues("/apis/custom.metrics.k8s.io/v1beta2/namespaces/\(namespace)/deployments.apps/web/rps") == ["10"]
            }
            #expect(try await cluster.replicas(namespace: namespace, name: "web") == 0)

            cluster.export(scenario: namespace, 1000)
            try await cluster.eventually("an Activated event naming the metric") {
                try await cluster.events(namespace, about: "web").contains { $0.reason == "Activated" && ($0.message ?? "").contains("rps 1k (threshold 50)") }
            }
            try await cluster.eventually("the HPA controller to take it to 10") { try await cluster.replicas(namespace: namespace, name: "web") == 10 }
            #expect(cluster.forbiddenLines().isEmpty, "\(cluster.forbiddenLines())")
        }

        /// Prometheus stops: after fallbackAfter the metric is served as 4 replicas' worth and the
        /// real HPA controller goes to 4; a workload whose other metric still reads and proposes 6
        /// goes to 6 (the controller's maximum). Prometheus back: the query's value rules again.
        @Test(.needsControllers) func fallbackReplicasWhilePrometheusIsDownAndTheHigherProposalWins() async throws {
            let cluster = try Cluster.current
            let second = try await ClusterPrometheus.start(
                host: cluster.plane.network.hostAddress, scrapeTargets: [cluster.exporter.target],
                in: cluster.plane.directory.appendingPathComponent("prometheus-second"), reaper: cluster.plane.reaper)
            try await cluster.useOperator(overrides: ["--prometheus-server-alias=second=\(second.url)"])
            let namespace = "fallback"
            try await cluster.makeScenario(namespace, exporting: 20)
            cluster.export(scenario: "\(namespace)-load", 6)
            let fallback = ["\(Self.domain)/fallbackReplicas": "4", "\(Self.domain)/fallbackAfter": "3s"]
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: Cluster.annotations(scenario: namespace, extra: fallback))
            try await cluster.createWorkload(
                namespace: namespace, name: "busy",
                annotations: Cluster.annotations(
                    scenario: namespace,
                    extra: fallback.merging([
                        "prometheus.load.\(Self.domain)/query": "sum(e2e_value{scenario=\"\(namespace)-load\"})",
                        "prometheus.load.\(Self.domain)/targetAverageValue": "1",
                        "prometheus.load.\(Self.domain)/interval": "1s",
                        "prometheus.load.\(Self.domain)/server": "second",
                    ]) { $1 }))
            try await cluster.eventually("web at 2 (20 ÷ 10)") { try await cluster.replicas(namespace: namespace, name: "web") == 2 }
            try await cluster.eventually("busy at 6 (load 6 ÷ 1)") { try await cluster.replicas(namespace: namespace, name: "busy") == 6 }

            await cluster.prometheus.stop()
            try await cluster.eventually("web at its fallback of 4") { try await cluster.replicas(namespace: namespace, name: "web") == 4 }
            try await cluster.eventually("a FallbackStarted event on web's HPA with the error") {
                try await cluster.events(namespace, about: "web").contains {
                    $0.reason == "FallbackStarted" && $0.involvedObject.kind == "HorizontalPodAutoscaler" && ($0.message ?? "").contains("connection refused")
                }
            }
            let process = try cluster.operatorProcess("operator-a")
            try await cluster.eventually("/metrics to show web's rps in fallback") {
                await process.sample("hpa_operator_collector_fallback", matching: "hpa=\"\(namespace)/web\",metric=\"rps\"") == 1
            }
            // busy's rps is in fallback too (4), but its load still reads and proposes 6: 6 wins.
            try await cluster.eventually("busy's rps in fallback") {
                await process.sample("hpa_operator_collector_fallback", matching: "hpa=\"\(namespace)/busy\",metric=\"rps\"") == 1
            }
            #expect(try await cluster.replicas(namespace: namespace, name: "busy") == 6)
            try await cluster.eventually("busy's HPA to read both metrics") {
                (try await cluster.hpa(namespace, "busy"))?.status?.currentMetrics?.count == 2
            }
            #expect(try await cluster.replicas(namespace: namespace, name: "busy") == 6)

            try await cluster.prometheus.start()
            try await cluster.eventually("web back at 2 from the query") { try await cluster.replicas(namespace: namespace, name: "web") == 2 }
            try await cluster.eventually("a FallbackEnded event") { try await cluster.events(namespace, about: "web").contains { $0.reason == "FallbackEnded" } }
            try await cluster.eventually("the gauge gone") { await process.sample("hpa_operator_collector_fallback", matching: "hpa=\"\(namespace)/web\"") == nil }
            await second.stop()
            #expect(cluster.forbiddenLines().isEmpty, "\(cluster.forbiddenLines())")
        }
    }
}
