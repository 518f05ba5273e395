import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle

/// The query's own value of each of an HPA's metrics, by metric name (the collector's).
public typealias MetricReadings = @Sendable (_ namespace: String, _ hpa: String) async -> [String: Activation.Observation.Reading]

/// Moves workloads with minReplicas 0 between 0 and 1 replicas (the HPA, whose floor is 1, does
/// the rest): every second it reads what the collector last saw for each such workload's metrics
/// with thresholds, and `Activation.decide` says what to do. Only the leader writes (the
/// leadership fence), through the scale subresource; every replica keeps the cooldowns, so a new
/// leader needs no history: this runs on every replica, not as leader-only work.
/// A workload whose HPA is not ours (a conflict) is never touched.
public actor ZeroScaler: Service {
    public static let scaledToZeroReason = "ScaledToZero"
    public static let activatedReason = "Activated"
    public static let pausedReplicasReason = "PausedReplicasSet"

    private struct Candidate {
        var thresholds: [String: Quantity]
        var cooldown: Duration
        /// `scaleToZero: native`: zero is the HPA controller's; the operator only wakes a workload
        /// left at 0 while the HPA has no minReplicas 0 (the apiserver refused it).
        var native = false
        /// `paused`: no decisions; `paused-replicas`: the count to keep.
        var paused = false
        var pausedReplicas: Int32?
        /// `scale-up`/`scale-down: disabled`: no waking, no scaling to zero.
        var scaleUpDisabled = false
        var scaleDownDisabled = false
        var memory = Activation.Memory()
        /// A write not yet seen in the cache: decisions wait for it (a while).
        var awaiting: (replicas: Int32, since: Date)?
        var lastError = LastFailure()
    }

    private let cache: any AutoscalingCache
    /// Sets a workload's replicas if it is still at the resourceVersion given (else 409).
    private let setReplicas: @Sendable (WorkloadKey, Int32, String?) async throws -> Void
    private let readings: MetricReadings
    private let events: any EventSink
    private let leadership: Leadership
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let changes: [(kind: String, stream: AsyncStream<WorkloadKey>)]
    private var candidates: [WorkloadKey: Candidate] = [:]

    /// Subscribes to the manager's workload informers at once, so no change is missed.
    public init(manager: Manager, client: KubeClient, readings: @escaping MetricReadings, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.init(
            cache: manager.cache,
            setReplicas: { key, replicas, version in
                switch key.kind {
                case Deployment.kind: try await client.setReplicas(Deployment.self, namespace: key.namespace, name: key.name, to: replicas, resourceVersion: version)
                default: try await client.setReplicas(StatefulSet.self, namespace: key.namespace, name: key.name, to: replicas, resourceVersion: version)
                }
            }, readings: readings, events: manager.events, leadership: manager.leadership, logger: logger, now: now,
            changes: [
                (Deployment.kind, Self.keys(manager.cache.deployments.events(), kind: Deployment.kind)),
                (StatefulSet.kind, Self.keys(manager.cache.statefulSets.events(), kind: StatefulSet.kind)),
            ])
    }

    init(
        cache: any AutoscalingCache, setReplicas: @escaping @Sendable (WorkloadKey, Int32, String?) async throws -> Void, readings: @escaping MetricReadings,
        events: any EventSink, leadership: Leadership, logger: Logger, now: @escaping @Sendable () -> Date,
        changes: [(kind: String, stream: AsyncStream<WorkloadKey>)]
    ) {
        self.cache = cache
        self.setReplicas = setReplicas
        self.readings = readings
        self.events = events
        self.leadership = leadership
        self.logger = logger
        self.now = now
        self.changes = changes
    }

    private static func keys<T: APIObject>(_ events: AsyncStream<InformerEvent<T>>, kind: String) -> AsyncStream<WorkloadKey> {
        AsyncStream { continuation in
            let task = Task {
                for await event in events where !event.changesNothingCached {
                    continuation.yield(WorkloadKey(kind: kind, namespace: event.latest.namespace ?? "", name: event.latest.name))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Runs until cancelled or shut down (SIGTERM), then stops at once: a decision in progress
    /// finishes, none starts.
    public func run() async throws {
        let work = Task {
            await withTaskGroup(of: Void.self) { group in
                for change in changes {
                    group.addTask { for await key in change.stream { await self.observe(key) } }
                }
                group.addTask {
                    await Periodic.run(initialDelay: .seconds(1)) {
                        await self.tick()
                        return .seconds(1)
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await work.value
        } onCancelOrGracefulShutdown: {
            work.cancel()
        }
    }

    /// A workload changed: is it one to scale to zero (with which thresholds and cooldown), or
    /// one held at a replica count?
    func observe(_ key: WorkloadKey) {
        guard let workload = cache.workload(key), workload.metadata.deletionTimestamp == nil,
            case .valid(let spec, _) = workload.reading, spec.scaleToZero != nil || spec.hold.replicas != nil
        else {
            candidates[key] = nil
            return
        }
        let zero = spec.scaleToZero ?? ScaleToZero()
        var candidate = candidates[key] ?? Candidate(thresholds: [:], cooldown: zero.cooldown)
        candidate.thresholds = spec.scaleToZero == nil ? [:] : spec.activationThresholds
        candidate.cooldown = zero.cooldown
        candidate.native = zero.native
        candidate.paused = spec.hold.paused
        candidate.pausedReplicas = spec.hold.replicas
        candidate.scaleUpDisabled = spec.hold.scaleUpDisabled
        candidate.scaleDownDisabled = spec.hold.scaleDownDisabled
        candidates[key] = candidate
    }

    /// One decision for every candidate.
    func tick() async {
        for key in candidates.keys.sorted(by: { $0.description < $1.description }) {
            await decide(key)
        }
    }

    private func decide(_ key: WorkloadKey) async {
        guard let waiting = candidates[key], let workload = cache.workload(key), let replicas = workload.replicas,
            let hpa = cache.hpa(namespace: key.namespace, name: key.name), HPAReconciler.isControlled(hpa, by: workload.metadata.uid),
            HPAReconciler.conflict(key, uid: workload.metadata.uid, cache: cache) == nil
        else { return }
        let time = now()
        // Our last write not in the cache yet: decide once it is (or after 10 s).
        if let awaiting = waiting.awaiting, awaiting.replicas != replicas, time.timeIntervalSince(awaiting.since) < 10 { return }
        if waiting.paused {
            // Paused: no scale to zero or activation; a cooldown starts afresh once resumed.
            candidates[key]?.memory = Activation.Memory()
            // paused-replicas is the HPA controller's to keep (the HPA's bounds are narrowed to
            // it), except where it does not act: at 0 replicas, or to hold 0. Only once the HPA is
            // held, so the two never pull apart while the held HPA is not written yet.
            guard let held = waiting.pausedReplicas, held != replicas, replicas == 0 || held == 0,
                Hold.holdsBoth(hpa), hpa.spec.maxReplicas == max(held, 1), leadership.mayWrite
            else { return }
            let message = "Set \(key.kind) \(key.name) from \(replicas) to \(held) replicas: \(AnnotationKeys.pausedReplicas) is \(held)"
            await write(key, workload, held, Self.pausedReplicasReason, message, at: time)
            return
        }
        if waiting.native {
            // Native in effect (the HPA's floor is 0), or not at 0: the HPA controller's to do.
            let floor = hpa.spec.minReplicas ?? 1
            guard replicas == 0, floor > 0, !waiting.scaleUpDisabled, leadership.mayWrite else { return }
            let message =
                "Scaled \(key.kind) \(key.name) from 0 to 1 replica: \(AnnotationKeys.scaleToZero) native is not in effect (the HPA's minReplicas is \(floor); see its HPARejected events), so the HPA controller would leave it at 0"
            await write(key, workload, 1, Self.activatedReason, message, at: time)
            return
        }
        let read = await readings(key.namespace, key.name)
        // The candidate as it is after the read: annotations may have changed meanwhile.
        guard var candidate = candidates[key] else { return }
        candidate.awaiting = nil
        let observations = candidate.thresholds.sorted { $0.key < $1.key }.map { name, threshold in
            Activation.Observation(metric: name, threshold: threshold, reading: read[name] ?? .failed("not collected (see the HPA's events)"))
        }
        let (action, memory) = Activation.decide(observations, cooldown: candidate.cooldown, replicas: replicas, now: time, memory: candidate.memory)
        candidate.memory = memory
        candidates[key] = candidate
        guard leadership.mayWrite else { return }
        let target: Int32
        let reason: String
        let message: String
        switch action {
        case .none:
            return
        case .scaleToZero where candidate.scaleDownDisabled, .activate where candidate.scaleUpDisabled:
            // That direction is frozen, for the operator as for the HPA.
            return
        case .scaleToZero(let quiet):
            (target, reason) = (0, Self.scaledToZeroReason)
            message =
                "Scaled \(key.kind) \(key.name) from \(replicas) to 0 replicas: every activation threshold undershot for \(Activation.durationText(candidate.cooldown)) (\(quiet.map(\.description).joined(separator: ", ")))"
        case .activate(let active):
            (target, reason) = (1, Self.activatedReason)
            message = "Scaled \(key.kind) \(key.name) from 0 to 1 replica: \(active.description); the HPA takes over"
        }
        await write(key, workload, target, reason, message, at: time)
    }

    private func write(_ key: WorkloadKey, _ workload: ObservedWorkload, _ target: Int32, _ reason: String, _ message: String, at time: Date) async {
        do {
            // Conditional on the version decided on: a scale made meanwhile (kubectl scale, the
            // HPA controller) is not overwritten; the next tick decides on what is there then.
            try await setReplicas(key, target, workload.metadata.resourceVersion)
            candidates[key]?.awaiting = (target, time)
            _ = candidates[key]?.lastError.update(nil)
            logger.info("set replicas", metadata: ["workload": "\(key)", "reason": "\(reason)", "detail": "\(message)"])
            let reference = ObjectReference(apiVersion: WorkloadReference.apiVersion, kind: key.kind, namespace: key.namespace, name: key.name, uid: workload.metadata.uid)
            await events.record(.normal, reason: reason, message: message, on: reference)
        } catch KubeError.conflict {
            logger.info("the workload changed since it was read; deciding again on what it is now", metadata: ["workload": "\(key)", "replicas": "\(target)"])
        } catch {
            if candidates[key]?.lastError.update("\(error)") == true {
                logger.warning("cannot set the workload's replicas; retrying every second", metadata: ["workload": "\(key)", "replicas": "\(target)", "error": "\(error)"])
            }
        }
    }
}
