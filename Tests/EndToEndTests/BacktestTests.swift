import Foundation
import KubeClient
import KubeModel
import Synchronization
import TestSupport
import Testing

extension RealCluster {
    /// The proof that backtest's simulation is the HPA controller: an exported value follows a
    /// schedule while the real controller scales; backtest over that window, one step per the
    /// harness's sync period, gives the same replica levels at the same times, within a step of
    /// phase (plus the collector's second).
    @Suite("Backtest reproduces the real HPA controller") struct BacktestProof {
        @Test(.needsControllers) func theSimulatedReplicasAreTheControllers() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "backtest"
            try await cluster.makeScenario(namespace, exporting: 20)
            let annotations = Cluster.annotations(scenario: namespace)
            try await cluster.createWorkload(namespace: namespace, name: "web", annotations: annotations)
            try await cluster.eventually("2 replicas at 20 (10 per replica)") { try await cluster.replicas(namespace: namespace, name: "web") == 2 }
            // The controller counts scale events of the last policy period (15 s), and backtest
            // starts with no history: the 1 → 2 event must be older than that when the window
            // begins (else the real controller allows one pod fewer: 2 → 5, not 6).
            // The controller writes the scale before its status: wait for the status to say so.
            try await cluster.eventually("the HPA's lastScaleTime") { try await cluster.hpa(namespace, "web")?.status?.lastScaleTime != nil }
            let lastScale = try #require(try await cluster.hpa(namespace, "web")?.status?.lastScaleTime.flatMap(Timestamp.parse))
            try await Task.sleep(for: .seconds(max(0, 17 - Date().timeIntervalSince(lastScale))))

            // Watch the real replicas while the value follows the schedule: 80 for 45 s, then 30 for 30 s.
            let observed = Mutex<[(time: Double, replicas: Int)]>([])
            let recorder = Task {
                while !Task.isCancelled {
                    if let replicas = try? await cluster.replicas(namespace: namespace, name: "web") {
                        observed.withLock { $0.append((Date().timeIntervalSince1970, replicas)) }
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            let start = Date()
            cluster.export(scenario: namespace, 80)
            try await cluster.eventually("8 replicas") { try await cluster.replicas(namespace: namespace, name: "web") == 8 }
            try await Task.sleep(for: .seconds(max(0, 45 - Date().timeIntervalSince(start))))
            cluster.export(scenario: namespace, 30)
            try await cluster.eventually("3 replicas") { try await cluster.replicas(namespace: namespace, name: "web") == 3 }
            try await Task.sleep(for: .seconds(10))
            recorder.cancel()
            let end = Date()

            let manifest = try Self.manifest(namespace: namespace, annotations: annotations)
            let result = try await Tool.run(
                BuiltProduct.path("hpa-operator"),
                [
                    "backtest", "-f", manifest, "--prometheus-server", cluster.prometheus.url, "--from", Timestamp.rfc3339(start.addingTimeInterval(-4)),
                    "--to", Timestamp.rfc3339(end), "--step", "2s", "--start-replicas", "2", "-o", "json",
                ])
            #expect(result.status == 0, "\(result.stderr)")
            let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
            let steps = try #require(reports.first?["steps"] as? [[String: Any]])
            let simulated = steps.compactMap { step -> (time: Double, replicas: Int)? in
                guard let time = (step["time"] as? String).flatMap(Timestamp.parse), let replicas = step["replicas"] as? Int else { return nil }
                return (time.timeIntervalSince1970, replicas)
            }
            let real = observed.withLock { $0 }
            // The same levels in the same order (2 → 6 → 8 → 3: four pods or double per 15 s up, all at once down).
            #expect(Self.levels(simulated).map(\.replicas) == Self.levels(real).map(\.replicas), "simulated \(Self.levels(simulated)), real \(Self.levels(real))")
            // Each change within a step (2 s) of phase, plus the collector's interval and Prometheus's scrape (1 s each).
            for (simulatedChange, realChange) in zip(Self.levels(simulated).dropFirst(), Self.levels(real).dropFirst()) {
                #expect(
                    abs(simulatedChange.time - realChange.time) <= 5,
                    "to \(realChange.replicas): simulated at \(simulatedChange.time - start.timeIntervalSince1970) s, real at \(realChange.time - start.timeIntervalSince1970) s")
            }
        }

        /// Where the replica count changes: (time of the change, new count), starting with the first.
        static func levels(_ series: [(time: Double, replicas: Int)]) -> [(time: Double, replicas: Int)] {
            var levels: [(time: Double, replicas: Int)] = []
            for point in series where levels.last?.replicas != point.replicas { levels.append(point) }
            return levels
        }

        static func manifest(namespace: String, annotations: [String: String]) throws -> String {
            let body = annotations.sorted { $0.key < $1.key }.map { "    \($0.key): '\($0.value.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: "\n")
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-\(UUID().uuidString).yaml")
            try "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: \(namespace)\n  annotations:\n\(body)\nspec:\n  replicas: 2\n".write(
                to: url, atomically: true, encoding: .utf8)
            return url.path
        }
    }
}
