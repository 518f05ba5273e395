import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle
import Synchronization

/// `hpa-operator run`'s process manager (controller-runtime's Manager): it starts the runnables —
/// the informers (Deployments, StatefulSets, HPAs), leader election, the plain metrics and health
/// port, and the controller once the caches have synced — and stops them on SIGTERM.
public final class Manager: Service, Sendable {
    public struct Configuration: Sendable {
        /// nil: all namespaces.
        public var namespace: String?
        public var style: MetricStyle
        /// Standing workers (enough when idle), and how many may work while keys wait.
        public var workers: Int
        public var maxWorkers: Int
        /// nil: no leader election, this instance always writes.
        public var leaderElection: LeaderElector.Configuration?
        /// nil: no metrics/health port.
        public var metricsBindAddress: String?
        /// A port of probes alone (kubebuilder's `--health-probe-bind-address`); nil: none (the
        /// metrics port serves them too, either way).
        public var healthProbeBindAddress: String?
        /// That port closes a connection with no complete request part for this long (a request
        /// head half-sent, say); `run` gives it the process's `ListenerLimits`.
        public var metricsIdleTimeout: Duration
        public var watchTimeoutSeconds: Int
        public var backoff: Backoff

        public init(
            namespace: String? = nil, style: MetricStyle = .object, workers: Int = 2, maxWorkers: Int = 32, leaderElection: LeaderElector.Configuration? = nil,
            metricsBindAddress: String? = ":8080", metricsIdleTimeout: Duration = .seconds(120), watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff()
        ) {
            self.metricsIdleTimeout = metricsIdleTimeout
            self.namespace = namespace
            self.style = style
            self.workers = workers
            self.maxWorkers = max(maxWorkers, workers)
            self.leaderElection = leaderElection
            self.metricsBindAddress = metricsBindAddress
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.backoff = backoff
        }
    }

    public let configuration: Configuration
    public let metrics: OperatorMetrics
    let logger: Logger
    /// The one cache per kind, which every component reads.
    public let cache: InformerCache
    let elector: LeaderElector?
    /// The fence every write of the process goes through.
    public let leadership: Leadership
    /// The process's one event recorder, behind the fence: every component records through it.
    public let events: any EventSink
    let controller: Controller
    private let state = Mutex<(ready: Bool, port: Int?, probePort: Int?, informers: [Task<Void, Never>], fatal: ManagerError?)>((false, nil, nil, [], nil))

    public init(client: KubeClient, configuration: Configuration, logger: Logger, metrics: OperatorMetrics = OperatorMetrics()) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        cache = InformerCache(
            client: client, namespace: configuration.namespace, watchTimeoutSeconds: configuration.watchTimeoutSeconds,
            backoff: configuration.backoff, metrics: metrics, logger: logger)
        let elector = configuration.leaderElection.map { LeaderElector(client: client, configuration: $0, logger: logger) }
        self.elector = elector
        leadership = elector.map(Leadership.init) ?? .unelected
        let identity = configuration.leaderElection?.identity ?? ProcessInfo.processInfo.hostName
        events = FencedEventSink(EventRecorder(client: client, instance: identity, logger: logger), leadership: leadership)
        controller = Controller(
            reconciler: HPAReconciler(
                cache: cache,
                writer: FencedHPAWriter(APIServerHPAWriter(client: client, metrics: metrics), leadership: leadership),
                events: events, style: configuration.style, logger: logger),
            leading: Gate(open: elector == nil), metrics: metrics, logger: logger)
        metrics.isLeader.set(to: elector == nil ? 1.0 : 0.0)
    }

    /// A workload's `spec.replicas` as cached (what the HPA controller calls its current
    /// replicas), for the collector's fallbacks; nil when it is not cached.
    public func currentReplicas(kind: String, namespace: String, name: String) -> Int? {
        cache.workload(WorkloadKey(kind: kind, namespace: namespace, name: name))?.replicas.map(Int.init)
    }

    /// Ready once every informer has synced.
    public var isReady: Bool { state.withLock { $0.ready } }
    public var isLeader: Bool { leadership.mayWrite }
    /// The metrics port once it is bound.
    public var metricsPort: Int? { state.withLock { $0.port } }
    /// The probes-only port once it is bound.
    public var probePort: Int? { state.withLock { $0.probePort } }
    /// What stopped the operator, when something it cannot run without failed.
    public var failure: ManagerError? { state.withLock { $0.fatal } }

    /// Runs until SIGTERM/SIGINT (graceful shutdown) or cancellation: then stops taking work, lets
    /// reconciles in progress finish, releases the lease, and returns.
    public func run() async throws {
        try await run(releaseLease: { true })
    }

    /// `releaseLease` false stands for a crash in tests.
    public func run(releaseLease: @escaping @Sendable () -> Bool) async throws {
        logger.info(
            "starting",
            metadata: [
                "namespace": "\(configuration.namespace ?? "(all)")", "metric-style": "\(configuration.style.rawValue)",
                "workers": "\(configuration.workers)", "max-workers": "\(configuration.maxWorkers)", "leader-election": "\(configuration.leaderElection != nil)",
            ])
        // Subscribed before the informers start, so no event (the initial list's included) is missed.
        let deploymentEvents = cache.deployments.events()
        let statefulSetEvents = cache.statefulSets.events()
        let hpaEvents = cache.hpas.events()
        let informers = cache.start()
        state.withLock { $0.informers = informers }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { background in
                // Event handlers, leader election and the HTTP port: cancelled at the end.
                background.addTask { await self.controller.enqueue(deploymentEvents, kind: Deployment.kind) }
                background.addTask { await self.controller.enqueue(statefulSetEvents, kind: StatefulSet.kind) }
                background.addTask { await self.controller.enqueueOwners(hpaEvents) }
                if let elector { background.addTask { await elector.run(releaseOnExit: releaseLease, onChange: self.leadershipChanged) } }
                for (address, flag, metrics) in [
                    (configuration.metricsBindAddress, "--metrics-bind-address", true),
                    (configuration.healthProbeBindAddress, "--health-probe-bind-address", false),
                ] {
                    guard let address else { continue }
                    background.addTask {
                        do { try await self.serveHTTP(address, flag: flag, metrics: metrics) } catch let error as ManagerError { self.stop(because: error) } catch {}
                    }
                }
                if await cache.waitForSync() {
                    state.withLock { $0.ready = true }
                    logger.info(
                        "informers synced",
                        metadata: [
                            "deployments": "\(cache.deployments.count)", "statefulsets": "\(cache.statefulSets.count)",
                            "hpas": "\(cache.hpas.count)",
                        ])
                    // Workers run until the queue shuts down; they are never cancelled mid-reconcile.
                    await controller.run(workers: configuration.workers, upTo: configuration.maxWorkers)
                }
                informers.forEach { $0.cancel() }
                background.cancelAll()
            }
        } onCancelOrGracefulShutdown: {
            // Stop intake; reconciles in progress finish; informers stop (a sync may be pending).
            Task { await self.controller.shutDown() }
            self.state.withLock { $0.informers }.forEach { $0.cancel() }
        }
        for informer in informers { await informer.value }
        if let fatal = state.withLock({ $0.fatal }) {
            logger.critical("stopped", metadata: ["error": "\(fatal)"])
            throw fatal
        }
        logger.info("stopped")
    }

    /// Something the process cannot run without failed: stop everything, and `run` throws it.
    private func stop(because error: ManagerError) {
        let informers = state.withLock { state in
            state.fatal = error
            return state.informers
        }
        Task { await controller.shutDown() }
        informers.forEach { $0.cancel() }
    }

    /// Stops intake; `run` returns once reconciles in progress are done (as SIGTERM does).
    public func shutdown() async {
        await controller.shutDown()
    }

    /// The controller works while leading (a follower only keeps its caches); a new leader looks
    /// at everything once: the previous one may have died mid-way.
    @Sendable private func leadershipChanged(_ leader: Bool) {
        metrics.isLeader.set(to: leader ? 1.0 : 0.0)
        controller.leading.set(open: leader)
        guard leader else { return }
        let (keys, queue) = (cache.workloadKeys, controller.queue)
        Task { for key in keys { await queue.add(key) } }
    }

    /// A plain port: probes, and `/metrics` on the metrics port. Without it nothing could see
    /// the process is ready, so a port that cannot be bound ends the process.
    private func serveHTTP(_ address: String, flag: String, metrics serveMetrics: Bool) async throws {
        guard let (host, port) = ListenAddress.parse(address) else {
            throw ManagerError("\(flag) '\(address)' is not HOST:PORT or :PORT")
        }
        let server = OperatorHTTPServer(
            metrics: serveMetrics ? metrics : nil, isReady: { [weak self] in self?.isReady ?? false }, idleTimeout: configuration.metricsIdleTimeout, logger: logger)
        do {
            try await server.run(host: host, port: port) { [weak self, logger] bound in
                self?.state.withLock { if serveMetrics { $0.port = bound } else { $0.probePort = bound } }
                logger.info(serveMetrics ? "serving /metrics and probes" : "serving probes", metadata: ["address": "\(host.isEmpty ? "0.0.0.0" : host):\(bound)"])
            }
        } catch {
            if Task.isCancelled { return }
            throw ManagerError("cannot serve \(flag) \(address): \(Self.describe(error)) (is another process using the port?)")
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        return text.contains("Address already in use") || text.contains("EADDRINUSE") ? "address already in use" : text
    }
}

/// Why the operator cannot run, in words a user can act on.
public struct ManagerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
