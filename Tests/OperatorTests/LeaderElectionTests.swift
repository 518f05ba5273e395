import Foundation
import KubeModel
import Logging
import Synchronization
import TestSupport
import Testing

@testable import KubeClient
@testable import Operator

@Suite("Leader election")
struct LeaderElectionTests {
    // Short enough for a test, long enough that a renewal (two requests) fits in the renew
    // deadline on a loaded machine running the whole suite.
    static let lease: Duration = .seconds(4)
    static let retry: Duration = .milliseconds(300)
    /// Split brain: the leader's Lease requests hang (a partitioned apiserver). It must stop
    /// counting as leader by its renew deadline, whatever the hung request does, before the other
    /// takes over after the lease duration: at no moment do both lead.
    @Test func aLeaderWhoseRenewalsHangStopsBeforeAnotherTakesOver() async throws {
        let harness = try await Harness.start()
        let quiet = Logger.quiet("election")
        func elector(_ identity: String) -> LeaderElector {
            var config = ClientConfig(server: harness.server.url)
            config.userAgent = identity
            return LeaderElector(client: KubeClient(config: config), configuration: Self.election(identity), logger: quiet)
        }
        let (first, second) = (elector("first"), elector("second"))
        let overlap = Atomic<Bool>(false)
        let monitor = Task {
            while !Task.isCancelled {
                if first.isLeader && second.isLeader { overlap.store(true, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let firstTask = Task { await first.run() }
        try await harness.eventually("a leader") { first.isLeader }
        let secondTask = Task { await second.run() }
        try await harness.eventually("the second to try") { await harness.server.requests().contains { $0.userAgent == "second" && $0.path.contains("/leases/") } }
        #expect(!second.isLeader)

        await harness.server.hang { $0.userAgent == "first" && $0.path.contains("/leases") }
        try await harness.eventually("the second to lead") { second.isLeader }
        #expect(!first.isLeader)
        let bothLed = overlap.load(ordering: .relaxed)
        #expect(!bothLed, "both instances counted as leader at once")

        await harness.server.stopHanging()
        for task in [firstTask, secondTask] { task.cancel() }
        for task in [firstTask, secondTask] { await task.value }
        monitor.cancel()
        await harness.stop()
    }

    static func election(_ identity: String) -> LeaderElector.Configuration {
        LeaderElector.Configuration(
            namespace: "hpa-operator-system", name: "hpa-operator", identity: identity,
            leaseDuration: Self.lease, renewDeadline: .seconds(3), retryPeriod: Self.retry)
    }

    /// The apiserver goes away for longer than the renew deadline and comes back: the leader
    /// stopped leading meanwhile, and leads again (its own lease) once it can renew.
    @Test func aLeaderCutOffForAWhileLeadsAgain() async throws {
        let harness = try await Harness.start()
        let quiet = Logger.quiet("election")
        let elector = LeaderElector(client: KubeClient(config: ClientConfig(server: harness.server.url)), configuration: Self.election("only"), logger: quiet)
        let running = Task { await elector.run() }
        try await harness.eventually("a leader") { elector.isLeader }
        await harness.server.hang { $0.path.contains("/leases") }
        try await harness.eventually("leadership to lapse") { !elector.isLeader }
        await harness.server.stopHanging()
        try await harness.eventually("leading again") { elector.isLeader }
        running.cancel()
        await running.value
        await harness.stop()
    }

    /// A leader not scheduled for longer than its renew deadline (a starved process) stopped
    /// counting as leader meanwhile, though it renews its own lease once it runs again: that gap
    /// is reported as leadership lost and regained, so the manager looks at everything again
    /// instead of leaving what it refused in the gap undone.
    @Test func aRenewalAfterTheDeadlineReportsTheLapse() async throws {
        let harness = try await Harness.start()
        let quiet = Logger.quiet("election")
        let skew = Atomic<Int64>(0)
        let elector = LeaderElector(
            client: KubeClient(config: ClientConfig(server: harness.server.url)), configuration: Self.election("only"), logger: quiet,
            clock: { .now + .milliseconds(skew.load(ordering: .relaxed)) })
        let changes = Mutex<[Bool]>([])
        let running = Task { await elector.run(onChange: { leader in changes.withLock { $0.append(leader) } }) }
        try await harness.eventually("a leader") { elector.isLeader }
        // The next tick runs as if it came a renew deadline late.
        // (Whether it leads at any one instant is left unasked: a tick may come between two lines,
        // and a loaded machine may starve the elector past its deadline, which is a lapse too.)
        skew.store(Int64(Self.election("only").renewDeadline.components.seconds * 1000), ordering: .relaxed)
        try await harness.eventually("the late renewal to report the lapse") { changes.withLock { $0.count } >= 3 }
        #expect(Array(changes.withLock { $0 }.prefix(3)) == [true, false, true])
        try await harness.eventually("leading again") { elector.isLeader }
        running.cancel()
        await running.value
        await harness.stop()
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
        // The follower keeps its caches warm (the Deployment, the HPA) and reconciles nothing.
        try await harness.eventually("the follower's caches") { second.cache.hpas.get(namespace: "shop", name: "web") != nil && second.cache.deployments.get(namespace: "shop", name: "web") != nil }
        #expect(reconciles(second) == 0)
        #expect(await second.controller.queue.depth == 0)
        // Exactly one write, from the leader.
        #expect(await harness.hpaWrites().count == 1)

        // The leader dies without releasing: the other takes over within lease duration + retry.
        crashed.store(true, ordering: .relaxed)
        firstTask.cancel()
        _ = try? await firstTask.value
        let crashedLease = try await harness.client.get(Lease.self, namespace: "hpa-operator-system", name: "hpa-operator")
        let lastRenewal = try #require(crashedLease.spec?.renewTime.flatMap(Timestamp.parse))
        try await harness.eventually("the second to lead") { second.isLeader }
        // Not before the lease ran out, counted from its last renewal (the record's own time: a
        // loaded machine may have delayed that renewal, or the crash, by more than a retry period).
        #expect(Date().timeIntervalSince(lastRenewal) >= Double(Self.lease.components.seconds))
        let lease = try await harness.client.get(Lease.self, namespace: "hpa-operator-system", name: "hpa-operator")
        #expect(lease.spec?.holderIdentity == "second")
        #expect(lease.spec?.leaseTransitions == 1)

        // The new leader writes: a manual edit is reverted.
        try await harness.editHPA("web", #"{"spec":{"maxReplicas":99}}"#)
        try await harness.eventually("the edit reverted") { await harness.hpa("web")?.spec.maxReplicas == 10 }

        // Graceful stop releases the lease at once.
        await second.shutdown()
        _ = try? await secondTask.value
        #expect(try await harness.client.get(Lease.self, namespace: "hpa-operator-system", name: "hpa-operator").spec?.holderIdentity == "")
        await harness.stop()
    }

    /// Leadership lost stops the leader-only work: with its Lease requests hanging the leader stops
    /// leading by its renew deadline and its controller takes no key (a manual edit of its HPA
    /// stays, though the cache sees it); once it leads again it looks at everything and reverts it.
    @Test func leadershipLostStopsTheControllerUntilRegained() async throws {
        let harness = try await Harness.start()
        let (instance, task) = await harness.startOperator(leaderElection: Self.election("only"))
        try await harness.eventually("a leader") { instance.isLeader }
        _ = try await harness.client.create(Harness.deployment("web"))
        try await harness.eventually("the HPA's echo reconciled") { reconciles(instance) >= 2 }

        await harness.server.hang { $0.path.contains("/leases") }
        try await harness.eventually("the controller to stop") { !instance.controller.leading.isOpen }
        #expect(!instance.isLeader)
        let reconciled = reconciles(instance)
        try await harness.editHPA("web", #"{"spec":{"maxReplicas":99}}"#)
        try await harness.eventually("the edit in the cache") { instance.cache.hpas.get(namespace: "shop", name: "web")?.spec.maxReplicas == 99 }
        #expect(reconciles(instance) == reconciled)
        #expect(await harness.hpa("web")?.spec.maxReplicas == 99)

        await harness.server.stopHanging()
        try await harness.eventually("the edit reverted once leading again") { await harness.hpa("web")?.spec.maxReplicas == 10 }
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}
