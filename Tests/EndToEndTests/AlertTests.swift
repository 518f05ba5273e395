import Foundation
import HTTPTransport
import KubeModel
import TestSupport
import Testing

extension SecondRealCluster {
    /// #21: a real alert rule in Debian's Prometheus, routed by Debian's Alertmanager to our
    /// receiver with a bearer token, becomes an External metric the real HPA controller scales on.
    @Suite("Alert-driven scaling") struct Alerts {
        static let receiverPort = 9095

        @Test(.needsControllers) func alertsScaleTheDeploymentOutAndARestartRecoversThemFromTheAPI() async throws {
            let cluster = try Cluster.current
            let network = cluster.plane.network
            let directory = cluster.plane.directory.appendingPathComponent("alerting")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let token = directory.appendingPathComponent("webhook-token")
            try "e2e-s3cret\n".write(to: token, atomically: true, encoding: .utf8)
            let alertmanager = try await ClusterAlertmanager.start(
                host: network.hostAddress, webhookURL: "http://\(network.address):\(Self.receiverPort)/alertmanager/webhook", tokenFile: token.path,
                in: directory.appendingPathComponent("alertmanager"), reaper: cluster.plane.reaper)
            // The issue's rule, with `for:` shortened: the value goes in an annotation, so a new
            // value does not make a new alert.
            let rules = directory.appendingPathComponent("rules.yml")
            try """
            groups:
              - name: hpa
                rules:
                  - alert: HpaTrigger
                    expr: e2e_active_task_count > 30
                    labels: {trigger: hpa, action: scale-out}
                    annotations: {value: "{{ $value }}"}
            """.write(to: rules, atomically: true, encoding: .utf8)
            let prometheus: ClusterPrometheus
            do {
                prometheus = try await ClusterPrometheus.start(
                    host: network.hostAddress, scrapeTargets: [cluster.exporter.target], in: directory.appendingPathComponent("prometheus"),
                    reaper: cluster.plane.reaper, extraConfiguration: "rule_files: [\"\(rules.path)\"]\n" + alertmanager.prometheusAlerting)
            } catch {
                await alertmanager.stop()
                throw error
            }
            do {
                try await scenario(cluster, alertmanager: alertmanager, token: token.path)
            } catch {
                await prometheus.stop()
                await alertmanager.stop()
                throw error
            }
            await prometheus.stop()
            await alertmanager.stop()
        }

        func scenario(_ cluster: Cluster, alertmanager: ClusterAlertmanager, token: String) async throws {
            let namespace = "alerts"
            try await cluster.makeNamespace(namespace)
            @Sendable func tasks(_ value: Double) { cluster.exporter.set("e2e_active_task_count", ["namespace": namespace, "deployment": "web"], to: value) }
            tasks(10)
            // Alertmanager's list is read at start only (1 h): every change below comes by webhook.
            try await cluster.useOperator(overrides: [
                "--alertmanager-url=\(alertmanager.url)", "--alertmanager-interval=1h",
                "--alertmanager-bind-address=:\(Self.receiverPort)", "--alertmanager-token-file=\(token)",
            ])
            let domain = Cluster.domain
            try await cluster.createWorkload(
                namespace: namespace, name: "web",
                annotations: [
                    "\(domain)/minReplicas": "1", "\(domain)/maxReplicas": "5", "\(domain)/scaleDownStabilizationWindowSeconds": "0",
                    "alertmanager.tasks.\(domain)/alertname": "HpaTrigger",
                    "alertmanager.tasks.\(domain)/matchLabels": #"{"trigger":"hpa"}"#,
                    "alertmanager.tasks.\(domain)/targetAverageValue": "30",
                ])
            try await cluster.eventually("the HPA with an External metric") { try await cluster.hpa(namespace, "web")?.spec.metrics?.first?.external?.metric.name == "tasks" }
            let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/\(namespace)/tasks?labelSelector=hpa-operator%2Fworkload%3Dweb"
            try await cluster.eventually("0 while nothing fires (the state is known from the API)") { try await cluster.rawValues(path) == ["0"] }

            tasks(90)
            try await cluster.eventually("the firing alert's value, by webhook") { try await cluster.rawValues(path) == ["90"] }
            try await cluster.eventually("3 replicas (90 over 30 each)") { try await cluster.replicas(namespace: namespace, name: "web") == 3 }
            try await cluster.eventually("TARGETS to show the value") {
                try await cluster.hpa(namespace, "web")?.status?.currentMetrics?.first?.external?.current.averageValue == Quantity(30)
            }

            tasks(10)
            try await cluster.eventually("0 once the alert resolves") { try await cluster.rawValues(path) == ["0"] }
            try await cluster.eventually("back to 1 replica") { try await cluster.replicas(namespace: namespace, name: "web") == 1 }

            tasks(120)
            try await cluster.eventually("firing again") { try await cluster.rawValues(path) == ["120"] }
            try await cluster.eventually("4 replicas") { try await cluster.replicas(namespace: namespace, name: "web") == 4 }

            // An unauthenticated webhook is refused and changes nothing.
            let forged = try await HTTPClient().send(
                HTTPRequest(
                    method: "POST", url: "http://\(cluster.plane.network.address):\(Self.receiverPort)/alertmanager/webhook",
                    headers: [("Content-Type", "application/json")], body: Data(#"{"version":"4","alerts":[]}"#.utf8)))
            #expect(forged.status == 401)
            try await cluster.eventually("the refusal in the log") { cluster.operatorLogs().contains("refused an Alertmanager webhook") }
            #expect(try await cluster.rawValues(path) == ["120"])

            // A restarted operator without the receiver knows the firing alert from Alertmanager's API alone.
            try await cluster.useOperator(overrides: ["--alertmanager-url=\(alertmanager.url)", "--alertmanager-interval=2s"])
            try await cluster.eventually("the value after the restart") { try await cluster.rawValues(path) == ["120"] }
            #expect(try await cluster.replicas(namespace: namespace, name: "web") == 4)
            tasks(10)
            try await cluster.eventually("0 from the API once resolved") { try await cluster.rawValues(path) == ["0"] }
            try await cluster.eventually("1 replica") { try await cluster.replicas(namespace: namespace, name: "web") == 1 }
        }
    }
}
