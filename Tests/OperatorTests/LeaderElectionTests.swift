import Foundation
import KubeClient
import KubeModel
import Operator
import Synchronization
import Testing
import TestSupport

@Suite("Leader election")
struct LeaderElectionTests {
    static func election(_ identity: String) -> LeaderElector.Configuration {
        LeaderElector.Configuration(namespace: "hpa-operator-system", name: "hpa-operator", identity: identity,
                                    leaseDuration: .seconds(2), renewDeadline: .milliseconds(1500), retryPeriod: .milliseconds(200))
    }

    @Test func onlyTheHolderWritesAndACrashHandsOver() async throws {
        let harness = try await Harness.start()
        let crashed = Atomic<Bool>(false)
        let (first, firstTask) = await harness.startOperator(leaderElection: Self.election("first"), releaseLease: { !crashed.load(ordering: .relaxed) })
        try await harness.eventually("a leader") { first.isLeader }
        let (second, secondTask) = await harness.startOperator(leaderElection: Self.election("second"))
        try await harness.eventually("the second to sync") { second.isReady }
        #expect(!second.isLeader)

        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA") { await harness.hpa("web") != nil }
        try await Task.sleep(for: .milliseconds(500))
        // Exactly one apply, from the leader, although both instances reconciled the workload.
        #expect(await harness.hpaWrites().count == 1)

        // The leader dies without releasing: the other takes over within lease duration + retry.
        crashed.store(true, ordering: .relaxed)
        firstTask.cancel()
        _ = try? await firstTask.value
        let died = ContinuousClock.now
        try await harness.eventually("the second to lead", timeout: .seconds(5)) { second.isLeader }
        // The lease must be seen unchanged for a whole duration after its last renewal, checked every retry
        // period (with jitter): lease + up to three retries, plus scheduling slack.
        #expect(ContinuousClock.now - died < .seconds(2) + .milliseconds(200) * 3 + .milliseconds(500))
        let lease = try await harness.client.get(Lease.self, namespace: "hpa-operator-system", name: "hpa-operator")
        #expect(lease.spec?.holderIdentity == "second")
        #expect(lease.spec?.leaseTransitions == 1)

        // The new leader writes: a manual edit is reverted.
        _ = try await harness.client.patch(HorizontalPodAutoscaler.self, namespace: "shop", name: "web", .merge(Data(#"{"spec":{"maxReplicas":99}}"#.utf8)))
        try await harness.eventually("the edit reverted") { await harness.hpa("web")?.spec.maxReplicas == 10 }

        // Graceful stop releases the lease at once.
        await second.shutdown()
        _ = try? await secondTask.value
        #expect(try await harness.client.get(Lease.self, namespace: "hpa-operator-system", name: "hpa-operator").spec?.holderIdentity == "")
        await harness.stop()
    }
}
