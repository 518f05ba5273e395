import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Operator

/// The scaler between 0 and 1 over an in-memory world: a Deployment whose replicas the scaler's
/// writes change, the collector's readings and the clock set by the test.
@Suite("Scale to zero: the leader's writes")
struct ZeroScalerTests {
    static let key = WorkloadKey(kind: "Deployment", namespace: "shop", name: "web")
    static let annotations = ReconcilerRulesTests.annotations.merging([
        "hpa.autoscaling.banzaicloud.io/minReplicas": "0",
        "hpa.autoscaling.banzaicloud.io/cooldownPeriod": "30s",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/activationThreshold": "50",
    ]) { $1 }

    final class ZeroWorld: AutoscalingCache, EventSink, Sendable {
        struct State {
            /// What the cache shows.
            var replicas: Int32 = 1
            var version = 1
            /// The apiserver's, when a write the cache has not seen yet moved it on.
            var actual: (replicas: Int32, version: Int)?
            var annotations: [String: String]
            var hpa: HorizontalPodAutoscaler?
            var rps: Activation.Observation.Reading = .value(Quantity(10))
            var now = Date(timeIntervalSince1970: 1_000_000)
            var writes: [Int32] = []
            var events: [String] = []
            var leader = true
        }

        let state: Mutex<State>

        init(annotations: [String: String] = ZeroScalerTests.annotations, hpa: HorizontalPodAutoscaler? = nil) {
            state = Mutex(State(annotations: annotations, hpa: hpa ?? ReconcilerRulesTests.ours(annotations)))
        }

        func workload(_ key: WorkloadKey) -> ObservedWorkload? {
            state.withLock { state in
                var metadata = ObjectMeta(name: "web", namespace: "shop", uid: "workload-uid", annotations: state.annotations)
                metadata.resourceVersion = "\(state.version)"
                return .deployment(Deployment(metadata: metadata, spec: WorkloadSpec(replicas: state.replicas)))
            }
        }
        func hpa(namespace: String, name: String) -> HorizontalPodAutoscaler? { state.withLock { $0.hpa } }
        func hpas(targeting key: WorkloadKey) -> [HorizontalPodAutoscaler] { state.withLock { $0.hpa.map { [$0] } ?? [] } }
        func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference, repeatable: Bool) async {
            state.withLock { $0.events.append("\(reason): \(message)") }
        }
        func forget(kind: String, namespace: String?, name: String) {}

        func advance(_ seconds: Double) { state.withLock { $0.now = $0.now.addingTimeInterval(seconds) } }

        func scaler() -> ZeroScaler {
            let quiet = Logger.quiet("zero")
            return ZeroScaler(
                cache: self,
                setReplicas: { _, replicas, version in
                    try self.state.withLock { state in
                        // The apiserver's precondition: a write for another version is refused.
                        guard version == "\(state.actual?.version ?? state.version)" else {
                            throw KubeError.conflict(Status(message: "the object has been modified", reason: "Conflict", code: 409))
                        }
                        state.replicas = replicas
                        state.version += 1
                        state.actual = nil
                        state.writes.append(replicas)
                    }
                }, readings: { _, _ in ["rps": self.state.withLock { $0.rps }] }, events: self, leadership: Leadership { self.state.withLock { $0.leader } },
                logger: quiet, now: { self.state.withLock { $0.now } }, changes: [])
        }
    }

    /// Observed and quiet: nothing for 29 s of the 30 s cooldown, then 0.
    static func expectZeroAfterTheCooldown(_ world: ZeroWorld, _ scaler: ZeroScaler, sourceLocation: SourceLocation = #_sourceLocation) async {
        await scaler.observe(Self.key)
        await scaler.tick()
        world.advance(29)
        await scaler.tick()
        #expect(world.state.withLock { $0.writes }.isEmpty, sourceLocation: sourceLocation)
        world.advance(1)
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0], sourceLocation: sourceLocation)
    }

    @Test func sleepsAfterTheCooldownAndWakesOnActivity() async {
        let world = ZeroWorld()
        let scaler = world.scaler()
        await Self.expectZeroAfterTheCooldown(world, scaler)
        #expect(world.state.withLock { $0.events } == ["ScaledToZero: Scaled Deployment web from 1 to 0 replicas: every activation threshold undershot for 30s (rps 10 (threshold 50))"])
        // At zero and quiet: nothing more.
        world.advance(60)
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0])
        // Errors at zero never wake.
        world.state.withLock { $0.rps = .failed("Prometheus unreachable") }
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0])
        world.state.withLock { $0.rps = .value(Quantity(120)) }
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0, 1])
        #expect(world.state.withLock { $0.events }.last == "Activated: Scaled Deployment web from 0 to 1 replica: rps 120 (threshold 50); the HPA takes over")
    }

    /// A scale-to-zero workload with `extra` annotations, quiet for three minutes (six cooldowns):
    /// no write.
    static func quietForThreeMinutes(with extra: [String: String], sourceLocation: SourceLocation = #_sourceLocation) async -> (ZeroWorld, ZeroScaler) {
        let annotations = Self.annotations.merging(extra) { $1 }
        let world = ZeroWorld(annotations: annotations, hpa: ReconcilerRulesTests.ours(annotations))
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        for _ in 0..<3 {
            world.advance(60)
            await scaler.tick()
        }
        #expect(world.state.withLock { $0.writes }.isEmpty, sourceLocation: sourceLocation)
        return (world, scaler)
    }

    /// Paused: no scale to zero however long it is quiet, and a cooldown starts afresh once
    /// resumed. paused-replicas: the count is set, at 0 too (where the HPA controller does not
    /// act), and kept.
    @Test func aPauseHoldsAndPausedReplicasIsKept() async {
        let (world, scaler) = await Self.quietForThreeMinutes(with: ["hpa.autoscaling.banzaicloud.io/paused": "true"])
        // Resumed: the cooldown counts from now, not from before the pause.
        world.state.withLock { $0.annotations = Self.annotations }
        await Self.expectZeroAfterTheCooldown(world, scaler)

        // Held at 0 without scale to zero configured: set, and set again after a manual scale.
        let atZero = ReconcilerRulesTests.annotations.merging(["hpa.autoscaling.banzaicloud.io/paused-replicas": "0"]) { $1 }
        let held = ZeroWorld(annotations: atZero, hpa: ReconcilerRulesTests.ours(atZero))
        let holder = held.scaler()
        await holder.observe(Self.key)
        await holder.tick()
        #expect(held.state.withLock { $0.writes } == [0])
        #expect(held.state.withLock { $0.events } == ["PausedReplicasSet: Set Deployment web from 1 to 0 replicas: hpa.autoscaling.banzaicloud.io/paused-replicas is 0"])
        held.state.withLock { state in
            state.replicas = 2
            state.version += 1
        }
        held.advance(20)
        await holder.tick()
        #expect(held.state.withLock { $0.writes } == [0, 0])
        // A follower writes nothing.
        held.state.withLock { state in
            state.replicas = 4
            state.version += 1
            state.leader = false
        }
        held.advance(20)
        await holder.tick()
        #expect(held.state.withLock { $0.writes } == [0, 0])
    }

    /// A frozen direction holds for the operator too: scale-down disabled never scales to zero,
    /// scale-up disabled never wakes. paused-replicas above 0 from above 0 is the HPA
    /// controller's to keep (its bounds are narrowed), so the operator writes nothing.
    @Test func frozenDirectionsAndPausedReplicasAboveZero() async {
        _ = await Self.quietForThreeMinutes(with: ["hpa.autoscaling.banzaicloud.io/scale-down": "disabled"])

        let noUp = Self.annotations.merging(["hpa.autoscaling.banzaicloud.io/scale-up": "disabled"]) { $1 }
        let asleep = ZeroWorld(annotations: noUp, hpa: ReconcilerRulesTests.ours(noUp))
        asleep.state.withLock { state in
            state.replicas = 0
            state.rps = .value(Quantity(500))
        }
        let waker = asleep.scaler()
        await waker.observe(Self.key)
        await waker.tick()
        #expect(asleep.state.withLock { $0.writes }.isEmpty)

        let three = ReconcilerRulesTests.annotations.merging(["hpa.autoscaling.banzaicloud.io/paused-replicas": "3"]) { $1 }
        let held = ZeroWorld(annotations: three, hpa: ReconcilerRulesTests.ours(three))
        let holder = held.scaler()
        await holder.observe(Self.key)
        await holder.tick()
        #expect(held.state.withLock { $0.writes }.isEmpty)
        // At 0, where the HPA controller does not act, the operator sets 3.
        held.state.withLock { state in
            state.replicas = 0
            state.version += 1
        }
        await holder.tick()
        #expect(held.state.withLock { $0.writes } == [3])
    }

    /// A scale made a moment before the scaler's write (kubectl scale, not yet in the cache) is
    /// not overwritten: the write is conditional on the version decided on, refused, and nothing
    /// is reported; once the cache shows the new state, the scaler decides on that.
    @Test func aScaleMadeMeanwhileIsNotOverwritten() async {
        let world = ZeroWorld()
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        await scaler.tick()
        world.advance(30)
        world.state.withLock { $0.actual = (3, 2) }
        await scaler.tick()
        #expect(world.state.withLock { $0.writes }.isEmpty)
        #expect(world.state.withLock { $0.events }.isEmpty)
        // The cache catches up: 3 replicas, still quiet, so to zero now, from the version it shows.
        world.state.withLock { state in
            state.replicas = 3
            state.version = 2
            state.actual = nil
        }
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0])
        #expect(world.state.withLock { $0.events }.first?.hasPrefix("ScaledToZero: Scaled Deployment web from 3 to 0 replicas") == true)
    }

    @Test func aFollowerKeepsTheCooldownButNeverWrites() async {
        let world = ZeroWorld()
        world.state.withLock { $0.leader = false }
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        await scaler.tick()
        world.advance(40)
        await scaler.tick()
        #expect(world.state.withLock { $0.writes }.isEmpty)
        // Leading now, its cooldown has already run.
        world.state.withLock { $0.leader = true }
        await scaler.tick()
        #expect(world.state.withLock { $0.writes } == [0])
    }

    @Test func anHPANotOursIsNeverScaledAround() async {
        var foreign = ReconcilerRulesTests.ours(Self.annotations)
        foreign.metadata.ownerReferences = nil
        let world = ZeroWorld(hpa: foreign)
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        for _ in 0..<3 {
            await scaler.tick()
            world.advance(60)
        }
        #expect(world.state.withLock { $0.writes }.isEmpty)
    }

    @Test func onlyWorkloadsWithMinReplicasZeroAreCandidates() async {
        let world = ZeroWorld(annotations: ReconcilerRulesTests.annotations)
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        for _ in 0..<3 {
            await scaler.tick()
            world.advance(600)
        }
        #expect(world.state.withLock { $0.writes }.isEmpty)
        // Annotations changed to minReplicas 1 while a candidate: no longer one.
        let zero = ZeroWorld()
        let other = zero.scaler()
        await other.observe(Self.key)
        zero.state.withLock { $0.annotations = ReconcilerRulesTests.annotations }
        await other.observe(Self.key)
        zero.advance(600)
        await other.tick()
        #expect(zero.state.withLock { $0.writes }.isEmpty)
    }

    /// `scaleToZero: native`: zero is the HPA controller's; the operator writes no replicas, at 0
    /// or not, while the HPA has minReplicas 0.
    @Test func nativeScaleToZeroIsLeftToTheHPAController() async {
        let native = Self.annotations.merging(["hpa.autoscaling.banzaicloud.io/scaleToZero": "native"]) { $1 }
        let world = ZeroWorld(annotations: native)
        #expect(world.state.withLock { $0.hpa?.spec.minReplicas } == 0)
        let scaler = world.scaler()
        await scaler.observe(Self.key)
        for replicas: Int32 in [1, 0] {
            world.state.withLock { $0.replicas = replicas }
            for _ in 0..<3 {
                await scaler.tick()
                world.advance(600)
            }
        }
        #expect(world.state.withLock { $0.writes }.isEmpty)

        // Switched to native at 0 where the apiserver refused minReplicas 0 (the HPA still has 1):
        // the HPA controller would leave it at 0, so the operator brings it to 1, and no lower.
        let refused = ZeroWorld(annotations: native, hpa: ReconcilerRulesTests.ours(Self.annotations))
        refused.state.withLock { $0.replicas = 0 }
        let waker = refused.scaler()
        await waker.observe(Self.key)
        for _ in 0..<3 {
            await waker.tick()
            refused.advance(600)
        }
        #expect(refused.state.withLock { $0.writes } == [1])
        #expect(refused.state.withLock { $0.events.first?.contains("scaleToZero native is not in effect (the HPA's minReplicas is 1") } == true)
    }
}
