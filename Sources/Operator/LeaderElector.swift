import Foundation
import KubeClient
import KubeModel
import Logging
import Synchronization

/// Leader election with a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews
/// every retry period and steps down when it could not renew within the renew deadline; another
/// candidate takes the lease only after it saw it unchanged for a whole lease duration (its own
/// clock, so clock skew between nodes does not matter), or at once when it was released.
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var namespace: String
        public var name: String
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        public init(namespace: String, name: String, identity: String, leaseDuration: Duration = .seconds(15),
                    renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.namespace = namespace
            self.name = name
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }
    }

    public let configuration: Configuration
    private let client: KubeClient
    private let logger: Logger
    private let leading = Atomic<Bool>(false)

    public init(client: KubeClient, configuration: Configuration, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    public var isLeader: Bool { leading.load(ordering: .acquiring) }

    /// Campaigns and renews until cancelled, telling `onChange` when leadership changes; then
    /// releases the lease if held (unless `release` is false, which tests use to stand for a crash).
    public func run(releaseOnExit release: @escaping @Sendable () -> Bool = { true }, onChange: @escaping @Sendable (Bool) -> Void = { _ in }) async {
        var observed: (record: String, at: ContinuousClock.Instant)?
        var lastRenewal = ContinuousClock.now
        await Periodic.run {
            let success = await tryAcquireOrRenew(observed: &observed)
            if success {
                lastRenewal = .now
                if !isLeader { set(true, onChange) }
            } else if isLeader && ContinuousClock.now - lastRenewal > configuration.renewDeadline {
                set(false, onChange)
            }
            // Candidates spread out; the leader renews on time.
            return configuration.retryPeriod.jittered(by: isLeader ? 0 : 0.2)
        }
        if isLeader {
            // Our task is cancelled, and cancellation aborts requests: release from a detached task.
            if release() { await Task.detached { await self.release() }.value }
            set(false, onChange)
        }
    }

    private func set(_ leader: Bool, _ onChange: @Sendable (Bool) -> Void) {
        leading.store(leader, ordering: .releasing)
        logger.info(leader ? "became leader" : "stopped leading", metadata: ["lease": "\(lease)", "identity": "\(configuration.identity)"])
        onChange(leader)
    }

    private var lease: ObjectKey { ObjectKey(namespace: configuration.namespace, name: configuration.name) }

    private var seconds: Int32 { Int32(configuration.leaseDuration.components.seconds) }

    private func tryAcquireOrRenew(observed: inout (record: String, at: ContinuousClock.Instant)?) async -> Bool {
        let now = Timestamp.rfc3339Micro(Date())
        do {
            let lease: Lease
            do {
                lease = try await client.get(Lease.self, namespace: configuration.namespace, name: configuration.name)
            } catch KubeError.notFound {
                _ = try await client.create(Lease(
                    metadata: ObjectMeta(name: configuration.name, namespace: configuration.namespace),
                    spec: LeaseSpec(holderIdentity: configuration.identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0)))
                return true
            }
            var spec = lease.spec ?? LeaseSpec(holderIdentity: nil, leaseDurationSeconds: nil, acquireTime: nil, renewTime: nil, leaseTransitions: nil)
            let holder = spec.holderIdentity ?? ""
            let record = "\(holder)|\(spec.renewTime ?? "")"
            if observed?.record != record { observed = (record, .now) }
            if holder != configuration.identity {
                let expired = ContinuousClock.now - observed!.at > configuration.leaseDuration
                guard holder.isEmpty || expired else { return false }
                spec.holderIdentity = configuration.identity
                spec.acquireTime = now
                spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            spec.renewTime = now
            spec.leaseDurationSeconds = seconds
            var updated = lease
            updated.spec = spec
            _ = try await client.update(updated)
            return true
        } catch {
            if !(error is CancellationError) {
                logger.debug("lease not acquired or renewed", metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    /// Hands the lease back so another candidate can take it at once.
    private func release() async {
        guard var lease = try? await client.get(Lease.self, namespace: configuration.namespace, name: configuration.name),
              lease.spec?.holderIdentity == configuration.identity else { return }
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
