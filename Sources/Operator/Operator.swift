import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle
import Synchronization

/// `hpa-operator run`: watches Deployments, StatefulSets and HPAs and keeps every annotated
/// workload's HPA as its annotations say (SPEC §2, §6).
public final class Operator: Service, Sendable {
    public struct Configuration: Sendable {
        /// nil: all namespaces.
        public var namespace: String?
        public var style: MetricStyle
        public var workers: Int
        /// nil: no leader election, this instance always writes.
        public var leaderElection: LeaderElector.Configuration?
        /// nil: no metrics/health port.
        public var metricsBindAddress: String?
        public var watchTimeoutSeconds: Int
        public var backoff: Backoff

        public init(namespace: String? = nil, style: MetricStyle = .object, workers: Int = 2, leaderElection: LeaderElector.Configuration? = nil,
                    metricsBindAddress: String? = ":8080", watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff()) {
            self.namespace = namespace
            self.style = style
            self.workers = workers
            self.leaderElection = leaderElection
            self.metricsBindAddress = metricsBindAddress
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.backoff = backoff
        }
    }

    public let configuration: Configuration
    public let metrics: OperatorMetrics
    let client: KubeClient
    let logger: Logger
    let queue: WorkQueue<WorkloadKey>
    let deployments: Informer<Deployment>
    let statefulSets: Informer<StatefulSet>
    /// The HPA cache, which the collector shares.
    public let hpas: Informer<HorizontalPodAutoscaler>
    let elector: LeaderElector?
    private let state = Mutex<(ready: Bool, port: Int?, informers: [Task<Void, Never>])>((false, nil, []))

    public init(client: KubeClient, configuration: Configuration, logger: Logger, metrics: OperatorMetrics = OperatorMetrics()) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        let depth = metrics.queueDepth
        queue = WorkQueue(onDepthChange: { depth.set(to: Double($0)) })
        func relisted(_ resource: String) -> @Sendable () -> Void { { metrics.relisted(resource) } }
        func failed(_ resource: String) -> @Sendable (any Error) -> Void {
            { error in logger.warning("list/watch failed; retrying with backoff", metadata: ["resource": "\(resource)", "error": "\(error)"]) }
        }
        deployments = Informer(client: client, namespace: configuration.namespace, watchTimeoutSeconds: configuration.watchTimeoutSeconds,
                               backoff: configuration.backoff, onRelist: relisted("deployments"), onError: failed("deployments"),
                               transform: CacheSlimming.workload)
        statefulSets = Informer(client: client, namespace: configuration.namespace, watchTimeoutSeconds: configuration.watchTimeoutSeconds,
                                backoff: configuration.backoff, onRelist: relisted("statefulsets"), onError: failed("statefulsets"),
                                transform: CacheSlimming.workload)
        hpas = Informer(client: client, namespace: configuration.namespace, watchTimeoutSeconds: configuration.watchTimeoutSeconds,
                        backoff: configuration.backoff, onRelist: relisted("horizontalpodautoscalers"), onError: failed("horizontalpodautoscalers"),
                        transform: CacheSlimming.hpa, tag: { WorkloadKey.owning($0)?.description })
        if let election = configuration.leaderElection {
            let queue = self.queue
            let deployments = self.deployments
            let statefulSets = self.statefulSets
            elector = LeaderElector(client: client, configuration: election, logger: logger) { leader in
                metrics.isLeader.set(to: leader ? 1.0 : 0.0)
                // A new leader looks at everything once: the previous one may have died mid-way.
                if leader {
                    Task {
                        for workload in deployments.items { await queue.add(WorkloadKey(kind: Deployment.kind, namespace: workload.metadata.namespace ?? "", name: workload.metadata.name ?? "")) }
                        for workload in statefulSets.items { await queue.add(WorkloadKey(kind: StatefulSet.kind, namespace: workload.metadata.namespace ?? "", name: workload.metadata.name ?? "")) }
                    }
                }
            }
        } else {
            elector = nil
            metrics.isLeader.set(to: 1.0)
        }
    }

    /// Ready once every informer has synced.
    public var isReady: Bool { state.withLock { $0.ready } }
    public var isLeader: Bool { elector?.isLeader ?? true }
    /// The metrics port once it is bound.
    public var metricsPort: Int? { state.withLock { $0.port } }

    /// Runs until SIGTERM/SIGINT (graceful shutdown) or cancellation: then stops taking work, lets
    /// reconciles in progress finish, releases the lease, and returns.
    public func run() async throws {
        try await run(releaseLease: { true })
    }

    /// `releaseLease` false stands for a crash in tests.
    public func run(releaseLease: @escaping @Sendable () -> Bool) async throws {
        let identity = configuration.leaderElection?.identity ?? ProcessInfo.processInfo.hostName
        let reconciler = Reconciler(
            client: client, deployments: deployments, statefulSets: statefulSets, hpas: hpas,
            events: EventRecorder(client: client, instance: identity, logger: logger),
            style: configuration.style, metrics: metrics, logger: logger, isLeader: { [elector] in elector?.isLeader ?? true })
        logger.info("starting", metadata: ["namespace": "\(configuration.namespace ?? "(all)")", "metric-style": "\(configuration.style.rawValue)",
                                           "workers": "\(configuration.workers)", "leader-election": "\(configuration.leaderElection != nil)"])
        // Subscribed before the informers start, so no event (the initial list's included) is missed.
        let deploymentEvents = deployments.events()
        let statefulSetEvents = statefulSets.events()
        let hpaEvents = hpas.events()
        // Informers run as their own tasks so that a shutdown can stop them even before they synced.
        let informers = [
            Task { await self.deployments.run() },
            Task { await self.statefulSets.run() },
            Task { await self.hpas.run() },
        ]
        state.withLock { $0.informers = informers }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { background in
                // Event handlers, leader election and the HTTP port: cancelled at the end.
                background.addTask { await self.enqueue(deploymentEvents, kind: Deployment.kind) }
                background.addTask { await self.enqueue(statefulSetEvents, kind: StatefulSet.kind) }
                background.addTask { await self.enqueueOwners(hpaEvents) }
                if let elector { background.addTask { await elector.run(releaseOnExit: releaseLease) } }
                if let address = configuration.metricsBindAddress {
                    background.addTask { await self.serveHTTP(address) }
                }
                await deployments.waitForSync()
                await statefulSets.waitForSync()
                await hpas.waitForSync()
                if deployments.hasSynced && statefulSets.hasSynced && hpas.hasSynced {
                    state.withLock { $0.ready = true }
                    logger.info("informers synced", metadata: ["deployments": "\(deployments.count)", "statefulsets": "\(statefulSets.count)", "hpas": "\(hpas.count)"])
                    // Workers run until the queue shuts down; they are never cancelled mid-reconcile.
                    await withTaskGroup(of: Void.self) { workers in
                        for _ in 0..<max(configuration.workers, 1) {
                            workers.addTask { await self.work(reconciler) }
                        }
                        await workers.waitForAll()
                    }
                }
                informers.forEach { $0.cancel() }
                background.cancelAll()
            }
        } onCancelOrGracefulShutdown: {
            // Stop intake; reconciles in progress finish; informers stop (a sync may be pending).
            Task { await self.queue.shutDown() }
            self.state.withLock { $0.informers }.forEach { $0.cancel() }
        }
        for informer in informers { await informer.value }
        logger.info("stopped")
    }

    /// Stops intake; `run` returns once reconciles in progress are done (as SIGTERM does).
    public func shutdown() async {
        await queue.shutDown()
    }

    private func work(_ reconciler: Reconciler) async {
        while let key = await queue.next() {
            let started = ContinuousClock.now
            do {
                let outcome = try await reconciler.reconcile(key)
                await queue.forget(key)
                metrics.reconcileSuccess.increment()
                if outcome != .inSync && outcome != .gone && outcome != .notLeader {
                    logger.debug("reconciled", metadata: ["workload": "\(key)", "outcome": "\(outcome)"])
                }
            } catch {
                metrics.reconcileError.increment()
                let retries = await queue.failureCount(key)
                logger.warning("reconcile failed; retrying with backoff", metadata: ["workload": "\(key)", "error": "\(error)", "retries": "\(retries)"])
                await queue.addRateLimited(key)
            }
            metrics.reconcileDuration.record(ContinuousClock.now - started)
            await queue.done(key)
        }
    }

    private func enqueue<T: APIObject>(_ events: AsyncStream<InformerEvent<T>>, kind: String) async {
        for await event in events where !event.changesNothingCached {
            await queue.add(WorkloadKey(kind: kind, namespace: event.latest.namespace ?? "", name: event.latest.name))
        }
    }

    /// HPA changes go to their workload, so a manual edit is reverted and a deleted HPA recreated.
    private func enqueueOwners(_ events: AsyncStream<InformerEvent<HorizontalPodAutoscaler>>) async {
        for await event in events where !event.changesNothingCached {
            let changed = switch event {
            case .added(let hpa), .deleted(let hpa): [hpa]
            case .updated(let old, let new): [old, new]
            }
            let owners = Set(changed.compactMap { $0.tag.flatMap(WorkloadKey.init(parsing:)) })
            for key in owners { await queue.add(key) }
        }
    }

    private func serveHTTP(_ address: String) async {
        guard let (host, port) = OperatorHTTPServer.parse(address) else {
            logger.error("invalid --metrics-bind-address; the metrics port is not served", metadata: ["address": "\(address)"])
            return
        }
        let server = OperatorHTTPServer(metrics: metrics, isReady: { [weak self] in self?.isReady ?? false }, logger: logger)
        do {
            try await server.run(host: host, port: port) { [weak self] bound in self?.state.withLock { $0.port = bound } }
        } catch {
            if !Task.isCancelled { logger.error("metrics port failed", metadata: ["address": "\(address)", "error": "\(error)"]) }
        }
    }
}
