import Foundation
import TestSupport
import Testing

@Suite struct PreviewCommandTests {
    static func sampleData() throws -> [String] {
        let directory = CLI.packageRoot.appendingPathComponent("samples/prometheus")
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".om") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    @Test func theSamplesWithTheirPrometheusData() async throws {
        let prometheus = try await PrometheusFixture.start(openMetricsFiles: try Self.sampleData())
        defer { prometheus.stop() }
        let arguments = ["preview", "-f", "samples/", "--prometheus-server", prometheus.url, "--prometheus-server-alias", "thanos=\(prometheus.url)", "--time", "2024-05-01T12:00:00Z"]
        let table = try await CLI.run(arguments)
        #expect(table.status == 0, "\(table.stderr)")
        try CLI.expectGolden(table.stdout, "preview-samples.txt")

        let json = try await CLI.run(arguments + ["-o", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let desired = Dictionary(uniqueKeysWithValues: rows.map { ($0["name"] as? String ?? "", $0["desired"] as? Int ?? -1) })
        #expect(desired == ["api": 3, "events-consumer": 4, "flask-admin": 3, "nginx": 8, "orders": 2, "payments": 3, "report-worker": 0])
        // minReplicas 0 with its queue empty: DESIRED 0, and the metric says why.
        let worker = try #require(rows.first { $0["name"] as? String == "report-worker" })
        #expect((worker["metrics"] as? [[String: Any]])?.first?["activation"] as? String == "inactive")
        let flask = try #require(rows.first { $0["name"] as? String == "flask-admin" })
        let metric = try #require((flask["metrics"] as? [[String: Any]])?.first)
        #expect(metric["name"] as? String == "rps")
        #expect(metric["current"] as? String == "52500m")
        #expect(metric["target"] as? String == "40 (avg)")
    }

    @Test func anUnreadableMetricIsExplainedUnderTheTable() async throws {
        let prometheus = try await PrometheusFixture.start(openMetricsFiles: try Self.sampleData())
        defer { prometheus.stop() }
        let manifest = try CLI.manifest(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: flask-admin
              namespace: ms-test
              annotations:
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "10"
                prometheus.rps.hpa.autoscaling.banzaicloud.io/query: sum by (pod) (rate(http_requests_total{namespace="ms-test",pod=~"flask-admin-.*"}[2m]))
                prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: "40"
            spec:
              replicas: 4
            """)
        let result = try await CLI.run(["preview", "-f", manifest, "--prometheus-server", prometheus.url, "--time", "2024-05-01T12:00:00Z"])
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                NAME          REFERENCE                TARGETS              MINPODS   MAXPODS   REPLICAS   DESIRED
                flask-admin   Deployment/flask-admin   <unknown>/40 (avg)   1         10        4          4

                flask-admin: rps: query returned 2 series; aggregate with sum() or max()

                """)
    }

    @Test func theInvalidSamplePrintsItsAnnotationErrorsAndExits1() async throws {
        let result = try await CLI.run(["preview", "-f", "samples/invalid/", "--time", "2024-05-01T12:00:00Z"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.contains("shop/checkout: prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"))
        #expect(result.stderrLines.count == 4)
    }
}

extension PreviewCommandTests {
    /// At zero with a threshold exceeded: DESIRED is what the HPA asks for once the operator has
    /// set 1; with the query failing, nothing is decided (it stays at 0).
    @Test func aWorkloadAtZeroWakesInThePreview() async throws {
        let prometheus = try await PrometheusFixture.start(openMetricsFiles: try Self.sampleData())
        defer { prometheus.stop() }
        func manifest(query: String) throws -> String {
            try Self.lagWorker(
                query: query,
                annotations: [
                    ("hpa.autoscaling.banzaicloud.io/minReplicas", "0"),
                    ("prometheus.lag.hpa.autoscaling.banzaicloud.io/activationThreshold", "100"),
                ], replicas: 0)
        }
        let lag = #"sum(kafka_consumergroup_lag{consumergroup="events-consumer",topic="events"})"#
        let awake = try await CLI.run(["preview", "-f", try manifest(query: lag), "--prometheus-server", prometheus.url, "--time", "2024-05-01T12:00:00Z"])
        #expect(awake.status == 0, "\(awake.stderr)")
        #expect(awake.stdout.contains("lag-worker: lag: active (3500 > threshold 100)"), "\(awake.stdout)")
        #expect(awake.stdout.contains("a threshold is exceeded: the operator scales to 1 and the HPA to 4"), "\(awake.stdout)")
        let unknown = try await CLI.run(["preview", "-f", try manifest(query: #"sum(no_such_metric)"#), "--prometheus-server", prometheus.url, "--time", "2024-05-01T12:00:00Z", "-o", "json"])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as? [[String: Any]])
        #expect(rows.first?["desired"] as? Int == 0)
        #expect((rows.first?["metrics"] as? [[String: Any]])?.first?["activation"] as? String == "unknown")
    }

    /// A pause keeps the workload where it is (or at paused-replicas), a frozen direction where
    /// the metrics would move it that way; the notes say what the metrics alone would ask for.
    @Test func aHeldWorkloadKeepsItsReplicasInThePreview() async throws {
        let prometheus = try await PrometheusFixture.start(openMetricsFiles: try Self.sampleData())
        defer { prometheus.stop() }
        let lag = #"sum(kafka_consumergroup_lag{consumergroup="events-consumer",topic="events"})"#
        func desired(_ hold: (String, String)?) async throws -> (Int?, String) {
            let file = try Self.lagWorker(query: lag, annotations: [("hpa.autoscaling.banzaicloud.io/minReplicas", "1")] + (hold.map { [$0] } ?? []), replicas: 2)
            let result = try await CLI.run(["preview", "-f", file, "--prometheus-server", prometheus.url, "--time", "2024-05-01T12:00:00Z", "-o", "json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stderr)")
            return (rows.first?["desired"] as? Int, (rows.first?["notes"] as? [String])?.joined(separator: "\n") ?? "")
        }
        // 3500 of lag at 1k per replica: 4 replicas, from 2.
        #expect(try await desired(nil).0 == 4)
        let paused = try await desired(("hpa.autoscaling.banzaicloud.io/paused", "true"))
        #expect(
            paused.0 == 2 && paused.1.contains("autoscaling is held: paused: replicas stay where they are (hpa.autoscaling.banzaicloud.io/paused) (the metrics alone would ask for 4)"), "\(paused.1)")
        #expect(try await desired(("hpa.autoscaling.banzaicloud.io/paused-replicas", "6")).0 == 6)
        #expect(try await desired(("hpa.autoscaling.banzaicloud.io/scale-up", "disabled")).0 == 2)
        #expect(try await desired(("hpa.autoscaling.banzaicloud.io/scale-down", "disabled")).0 == 4)
    }

    /// batch/lag-worker: max 10 replicas, a lag query at 1k per replica, and more annotations.
    static func lagWorker(query: String, annotations: [(String, String)], replicas: Int) throws -> String {
        let more = annotations.map { "    \($0.0): \"\($0.1)\"" }.joined(separator: "\n")
        return try CLI.manifest(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: lag-worker
              namespace: batch
              annotations:
                hpa.autoscaling.banzaicloud.io/maxReplicas: "10"
                prometheus.lag.hpa.autoscaling.banzaicloud.io/query: \(query)
                prometheus.lag.hpa.autoscaling.banzaicloud.io/targetAverageValue: "1k"
            \(more)
            spec:
              replicas: \(replicas)
            """)
    }
}

extension PreviewCommandTests {
    /// #17: with --enforce-namespace-label, the preview reads each workload's own namespace and says
    /// which query it sent; a query naming another namespace is listed as refused.
    @Test func withEnforcementThePreviewShowsTheQueriesAsSent() async throws {
        let prometheus = try await PrometheusFixture.start(
            openMetrics: """
                # TYPE queue_depth gauge
                queue_depth{namespace="team-a"} 30 1700000000
                queue_depth{namespace="team-b"} 300 1700000000
                # EOF

                """)
        defer { prometheus.stop() }
        func workload(_ name: String, _ query: String) -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              namespace: team-a
              annotations:
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "10"
                prometheus.depth.hpa.autoscaling.banzaicloud.io/query: '\(query)'
                prometheus.depth.hpa.autoscaling.banzaicloud.io/targetAverageValue: "10"
            """
        }
        let file = try CLI.manifest(workload("web", "sum(queue_depth)") + "\n---\n" + workload("sneaky", #"sum(queue_depth{namespace="team-b"})"#))
        let result = try await CLI.run(["preview", "-f", file, "--prometheus-server", prometheus.url, "--time", "1700000000", "--enforce-namespace-label", "namespace"])
        #expect(result.stdout.contains(#"web: depth: query: sum(queue_depth{namespace="team-a"})"#), "\(result.stdout)")
        #expect(result.stdout.contains("30/10 (avg)"), "team-a's 30, not 330: \(result.stdout)")
        #expect(result.stdout.contains(#"sneaky: metric-config.object.depth.prometheus/query: the matcher namespace="team-b" could select series of namespaces other than team-a"#), "\(result.stdout)")
    }
}
