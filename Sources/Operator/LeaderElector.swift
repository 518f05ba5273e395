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
    private let onChange: @Sendable (Bool) -> Void

    public init(client: KubeClient, configuration: Configuration, logger: Logger, onChange: @escaping @Sendable (Bool) -> Void) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.onChange = onChange
    }

    public var isLeader: Bool { leading.load(ordering: .acquiring) }

    /// Campaigns and renews until cancelled; then releases the lease if held (unless `release` is false,
    /// which tests use to stand for a crash).
    public func run(releaseOnExit release: @escaping @Sendable () -> Bool = { true }) async {
        var observed: (record: String, at: ContinuousClock.Instant)?
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            let success = await tryAcquireOrRenew(observed: &observed)
            if success {
                lastRenewal = .now
                if !isLeader { set(true) }
            } else if isLeader && ContinuousClock.now - lastRenewal > configuration.renewDeadline {
                set(false)
            }
            let jitter = isLeader ? 1.0 : Double.random(in: 1.0...1.2)
            try? await Task.sleep(for: configuration.retryPeriod * jitter)
        }
        if isLeader {
            // Our task is cancelled, and cancellation aborts requests: release from a detached task.
            if release() { await Task.detached { await self.release() }.value }
            set(false)
        }
    }

    private func set(_ leader: Bool) {
        leading.store(leader, ordering: .releasing)
        logger.info(leader ? "became leader" : "stopped leading", metadata: ["lease": "\(configuration.namespace)/\(configuration.name)", "identity": "\(configuration.identity)"])
        onChange(leader)
    }

    private var seconds: Int32 { Int32(configuration.leaseDuration.components.seconds) }

    private func tryAcquireOrRenew(observed: inout (record: String, at: ContinuousClock.Instant)?) async -> Bool {
        let now = Self.microTime()
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
        lease.spec?.renewTime = Self.microTime()
        do {
            _ = try await client.update(lease)
            logger.info("released the lease", metadata: ["lease": "\(configuration.namespace)/\(configuration.name)"])
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }

    static func microTime(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
        return formatter.string(from: date)
    }
}
