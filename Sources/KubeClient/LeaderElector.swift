import Foundation
import KubeModel
import Logging
import Synchronization

/// Leader election with a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews
/// every retry period; another candidate takes the lease only after it saw it unchanged for a
/// whole lease duration (its own clock, so clock skew between nodes does not matter), or at once
/// when it was released.
///
/// No split brain: "am I leader" is derived from the time of the last successful renewal, not
/// from a flag that a hung request could keep set. The holder stops counting as leader the moment
/// the renew deadline has passed since then, whatever the apiserver does, and every attempt is
/// cut off at that deadline. As the lease duration is longer than the renew deadline, the old
/// leader has stopped before anyone else can take over.
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var namespace: String
        public var name: String
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        public init(
            namespace: String, name: String, identity: String, leaseDuration: Duration = .seconds(15),
            renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)
        ) {
            self.namespace = namespace
            self.name = name
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }

        /// client-go's checks: a lease longer than the renew deadline (so a leader that cannot
        /// renew stops before another may take over), and a deadline longer than a jittered retry.
        public var problem: String? {
            if leaseDuration <= renewDeadline { return "the lease duration must be longer than the renew deadline" }
            if renewDeadline <= retryPeriod * 1.2 { return "the renew deadline must be longer than 1.2 × the retry period" }
            if retryPeriod <= .zero { return "the retry period must be positive" }
            return nil
        }
    }

    public let configuration: Configuration
    private let client: KubeClient
    private let logger: Logger
    /// When this instance last renewed (or took) the lease; nil while it does not hold it.
    private let renewed = Mutex<ContinuousClock.Instant?>(nil)
    /// The time; tests move it on to stand for a process that was not scheduled for a while.
    private let clock: @Sendable () -> ContinuousClock.Instant

    public convenience init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.init(client: client, configuration: configuration, logger: logger, clock: { .now })
    }

    init(client: KubeClient, configuration: Configuration, logger: Logger, clock: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
    }

    /// True only until the renew deadline has passed since the last successful renewal.
    public var isLeader: Bool { isLeader(at: clock()) }

    func isLeader(at now: ContinuousClock.Instant) -> Bool {
        renewed.withLock { $0 }.map { now - $0 < configuration.renewDeadline } ?? false
    }

    /// Campaigns and renews until cancelled, telling `onChange` when leadership changes; then
    /// releases the lease if held (unless `release` is false, which tests use to stand for a crash).
    public func run(releaseOnExit release: @escaping @Sendable () -> Bool = { true }, onChange: @escaping @Sendable (Bool) -> Void = { _ in }) async {
        var observed = Observed(since: clock())
        var told = false
        await Periodic.run {
            let started = clock()
            let previous = renewed.withLock { $0 }
            // A leader's attempt may last only until its deadline; a candidate's, a renew deadline.
            let remaining = previous.map { configuration.renewDeadline - (started - $0) } ?? .zero
            let limit = remaining > .zero ? remaining : configuration.renewDeadline
            var success = false
            let seen = observed
            do {
                (success, observed) = try await withDeadline(limit) { [self] in await tryAcquireOrRenew(observed: seen) }
            } catch {
                logger.debug("lease not acquired or renewed in time", metadata: ["error": "\(error)"])
            }
            if success {
                renewed.withLock { $0 = started }
                // This tick came so late (a starved process) that leadership lapsed before the
                // renewal: reconciles in the gap were refused, so say so, and the resumed leader
                // looks at everything again.
                if told, let previous, clock() - previous >= configuration.renewDeadline {
                    logger.warning("leadership lapsed until this late renewal", metadata: ["lease": "\(lease)", "identity": "\(configuration.identity)"])
                    told = false
                    onChange(false)
                }
            }
            if isLeader != told {
                told = isLeader
                logger.info(told ? "became leader" : "stopped leading", metadata: ["lease": "\(lease)", "identity": "\(configuration.identity)"])
                onChange(told)
            }
            // Candidates spread out; the leader renews on time.
            return configuration.retryPeriod.jittered(by: told ? 0 : 0.2)
        }
        if isLeader {
            // Our task is cancelled, and cancellation aborts requests: release from a detached task.
            if release() { await Task.detached { await self.release() }.value }
        }
        renewed.withLock { $0 = nil }
        if told {
            logger.info("stopped leading", metadata: ["lease": "\(lease)", "identity": "\(configuration.identity)"])
            onChange(false)
        }
    }

    /// The lease record as this candidate last saw it, and since when (its own clock).
    struct Observed: Sendable {
        var record: String?
        var since: ContinuousClock.Instant
    }

    private var lease: ObjectKey { ObjectKey(namespace: configuration.namespace, name: configuration.name) }

    private var seconds: Int32 { Int32(clamping: configuration.leaseDuration.components.seconds) }

    /// One attempt; returns whether we hold the lease now, and what was seen of it.
    private func tryAcquireOrRenew(observed seen: Observed) async -> (Bool, Observed) {
        var observed = seen
        let now = Timestamp.rfc3339Micro(Date())
        do {
            let lease: Lease
            do {
                lease = try await client.get(Lease.self, namespace: configuration.namespace, name: configuration.name)
            } catch KubeError.notFound {
                _ = try await client.create(
                    Lease(
                        metadata: ObjectMeta(name: configuration.name, namespace: configuration.namespace),
                        spec: LeaseSpec(holderIdentity: configuration.identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0)))
                return (true, observed)
            }
            var spec = lease.spec ?? LeaseSpec(holderIdentity: nil, leaseDurationSeconds: nil, acquireTime: nil, renewTime: nil, leaseTransitions: nil)
            let holder = spec.holderIdentity ?? ""
            let record = "\(holder)|\(spec.renewTime ?? "")"
            if observed.record != record { observed = Observed(record: record, since: clock()) }
            if holder != configuration.identity {
                let expired = clock() - observed.since > configuration.leaseDuration
                guard holder.isEmpty || expired else { return (false, observed) }
                spec.holderIdentity = configuration.identity
                spec.acquireTime = now
                spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            spec.renewTime = now
            spec.leaseDurationSeconds = seconds
            var updated = lease
            updated.spec = spec
            _ = try await client.update(updated)
            return (true, observed)
        } catch {
            if !(error is CancellationError) {
                logger.debug("lease not acquired or renewed", metadata: ["error": "\(error)"])
            }
            return (false, observed)
        }
    }

    /// Hands the lease back so another candidate can take it at once.
    private func release() async {
        guard var lease = try? await client.get(Lease.self, namespace: configuration.namespace, name: configuration.name),
            lease.spec?.holderIdentity == configuration.identity
        else { return }
        lease.spec?.holderIdentity = ""
        lease.spec?.leaseDurationSeconds = 1
        lease.spec?.renewTime = Timestamp.rfc3339Micro(Date())
        do {
            _ = try await client.update(lease)
            logger.info("released the lease", metadata: ["lease": "\(self.lease)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }
}
