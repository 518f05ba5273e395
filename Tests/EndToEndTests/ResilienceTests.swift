import Foundation
import KubeClient
import TestSupport
import Testing

extension RealCluster {
    /// Scenarios 9 and 10, and the RBAC check over everything the suite did.
    @Suite("Restarts, leadership and RBAC") struct Resilience {
        /// Scenario 9: the apiserver restarts mid-run; the operator reconnects, and a Deployment
        /// created afterwards gets its HPA.
        @Test func theOperatorReconnectsAfterAnAPIServerRestart() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "restart"
            try await cluster.makeScenario(namespace)
            try await cluster.createWorkload(namespace: namespace, name: "before", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA of before") { try await cluster.hpa(namespace, "before") != nil }

            try await cluster.restartAPIServer {
                try await cluster.createWorkload(namespace: namespace, name: "after", annotations: Cluster.annotations(scenario: namespace))
                try await cluster.eventually("the HPA of after", timeout: .seconds(120)) { try await cluster.hpa(namespace, "after") != nil }
                try await cluster.waitForAPIServices()
            }
        }

        /// Scenario 10: two replicas with --leader-elect: only the leader writes; SIGKILL of the
        /// leader hands over within the lease duration plus a retry, and the new leader rewrites
        /// nothing that is in sync.
        @Test func onlyTheLeaderWritesAndAKilledLeaderIsReplaced() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "leader"
            try await cluster.makeScenario(namespace)
            let leader = try cluster.operatorProcess("operator-a")
            let follower = try await cluster.startOperator("operator-b", overrides: ["--metrics-bind-address=:8081", "--secure-port=6444"])
            #expect(await follower.sample("hpa_operator_is_leader") == 0)
            #expect(await leader.sample("hpa_operator_is_leader") == 1)

            let leaderWrites = try #require(await leader.sample("hpa_operator_hpa_writes_total"))
            let followerWrites = try #require(await follower.sample("hpa_operator_hpa_writes_total"))
            try await cluster.createWorkload(namespace: namespace, name: "one", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA of one") { try await cluster.hpa(namespace, "one") != nil }
            try await cluster.eventually("the leader's count") { await leader.sample("hpa_operator_hpa_writes_total") == leaderWrites + 1 }
            #expect(await follower.sample("hpa_operator_hpa_writes_total") == followerWrites)
            #expect(cluster.operatorWrites(namespace: namespace).count == 1)

            await cluster.stopOperator("operator-a", kill: true)
            let killed = ContinuousClock.now
            try await cluster.eventually("operator-b to lead", timeout: .seconds(60)) { await follower.sample("hpa_operator_is_leader") == 1 }
            let handover = ContinuousClock.now - killed
            // config/default's lease is 15 s, retried every 2 s (with up to 20 % jitter); a few
            // seconds more for a loaded machine.
            #expect(handover < .seconds(25), "handover took \(handover)")
            try await cluster.createWorkload(namespace: namespace, name: "two", annotations: Cluster.annotations(scenario: namespace))
            try await cluster.eventually("the HPA of two") { try await cluster.hpa(namespace, "two") != nil }
            try await cluster.eventually("the new leader's write") { cluster.operatorWrites(namespace: namespace).count >= 2 }
            // One write per change: `one` was in sync and was not written again by the new leader.
            #expect(cluster.operatorWrites(namespace: namespace).map(\.name).sorted() == ["one", "two"])
            await cluster.stopOperator("operator-b")
        }

        /// Everything above ran with config/default's ServiceAccount: nothing was refused.
        @Test func configDefaultRBACSufficedForEveryScenario() async throws {
            let cluster = try Cluster.current
            let refused = cluster.forbiddenLines()
            #expect(refused.isEmpty, "the apiserver refused the operator:\n\(refused.prefix(10).joined(separator: "\n"))")
        }
    }
}
