import Foundation
import KubeClient
import KubeModel
import Logging
import PromQL
import ServiceLifecycle
import Synchronization

/// The embedded collector (README, "The collector"): watches every HPA, runs the Prometheus queries their
/// `metric-config.*` annotations name, and keeps the interpreted results in `store`.
public final class Collector: Service, Sendable {
    public struct Configuration: Sendable {
        /// nil: all namespaces.
        public var namespace: String?
        public var servers: PrometheusServers
        public var settings: CollectionSettings
        public var maxConcurrentQueries: Int
        public var watchTimeoutSeconds: Int
        public var backoff: Backoff

        public init(
            namespace: String? = nil, servers: PrometheusServers, settings: CollectionSettings = CollectionSettings(),
            maxConcurrentQueries: Int = 8, watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff()
        ) {
            self.namespace = namespace
            self.servers = servers
            self.settings = settings
            self.maxConcurrentQueries = maxConcurrentQueries
            self.watchTimeoutSeconds = watchTimeoutSeconds
            self.backoff = backoff
        }
    }

    public static let invalidConfigReason = "InvalidMetricConfig"
    public static let fallbackStartedReason = "FallbackStarted"
    public static let fallbackEndedReason = "FallbackEnded"

    public let configuration: Configuration
    public let store: MetricStore
    let hpas: Informer<HorizontalPodAutoscaler>
    /// False when the informer belongs to someone else (the operator's, in `run`), who runs it.
    private let runsInformer: Bool
    private let scheduler: CollectionScheduler
    private let events: any EventSink
    private let logger: Logger
    /// The problems last logged per HPA, so each change is logged once.
    private let reported = Mutex<[ObjectKey: [PlanProblem]]>([:])
    /// Per HPA, the keys answered as asked of an unsupported collector.
    private let unsupportedKeys = Mutex<[ObjectKey: Set<MetricKey>]>([:])
    /// The configured servers' releases, by URL, where their buildinfo says.
    private let versions = Mutex<[String: PrometheusVersion]>([:])
    /// How often the servers' releases are read again (an upgrade is noticed within it).
    static let versionInterval = Duration.seconds(600)
    private let now: @Sendable () -> Date
    private let metrics: CollectorMetrics
    /// The alerts behind alertmanager metrics; nil: none are served (no Alertmanager source).
    public let alerts: AlertBook?
    /// The metrics served from their fallback at the last look.
    private let inFallback = Mutex<[MetricKey: MetricStore.ServedFallback]>([:])

    /// - Parameters:
    ///   - replicas: reads a scale target's replicas for per-replica metrics (default: its scale subresource).
    ///   - now: the clock for collection times.
    ///   - sharing: an HPA informer that another component runs (one cache of HPAs per process);
    ///     nil: the collector runs its own.
    ///   - events: where Events go: the process's recorder, behind its leadership fence (every
    ///     replica collects, the leader reports); nil: a recorder of its own.
    public init(
        client: KubeClient, configuration: Configuration, logger: Logger, store: MetricStore = MetricStore(),
        replicas: ReplicaCounter? = nil, now: @escaping @Sendable () -> Date = Date.init,
        sharing informer: Informer<HorizontalPodAutoscaler>? = nil, events: (any EventSink)? = nil,
        metrics: CollectorMetrics = CollectorMetrics(), alerts: AlertBook? = nil
    ) {
        self.configuration = configuration
        self.alerts = alerts
        self.now = now
        self.metrics = metrics
        self.store = store
        self.logger = logger
        runsInformer = informer == nil
        hpas =
            informer
            ?? Informer(
                client: client, namespace: configuration.namespace, watchTimeoutSeconds: configuration.watchTimeoutSeconds,
                backoff: configuration.backoff,
                onError: { error in logger.warning("HPA list/watch failed; retrying with backoff", metadata: ["error": "\(error)"]) })
        self.events = events ?? EventRecorder(client: client, instance: ProcessInfo.processInfo.hostName, logger: logger)
        scheduler = CollectionScheduler(
            store: store, maxConcurrentQueries: configuration.maxConcurrentQueries,
            replicas: replicas ?? Self.scaleReplicas(client), logger: logger, now: now, metrics: metrics,
            podSelector: Self.scalePodSelector(client))
    }

    /// True once the HPA informer has synced.
    public var hasSynced: Bool { hpas.hasSynced }

    /// Distinct (server, query) pairs being collected.
    public var queryCount: Int {
        get async { await scheduler.jobCount }
    }

    /// Runs until cancelled or shut down; then every query stops.
    public func run() async throws {
        let changes = hpas.events()
        let informer = runsInformer ? Task { await hpas.run() } : nil
        let consumer = Task {
            // HPAs a shared informer cached before we subscribed (planning one again is a no-op).
            for hpa in hpas.items { await plan(hpa) }
            for await change in changes where !change.changesNothingCached {
                switch change {
                case .added(let hpa), .updated(_, let hpa):
                    if let hpa = hpas.decode(hpa) { await plan(hpa) }
                case .deleted(let hpa): await forget(namespace: hpa.namespace, name: hpa.name)
                }
            }
        }
        let watcher = Task {
            await Periodic.run(initialDelay: .seconds(1)) {
                alerts?.refresh(now: now())
                await watchFallbacks()
                return .seconds(1)
            }
        }
        // A newly known (or upgraded) server release may make queries newly possible or not.
        let releases = Task {
            await Periodic.run {
                if await readVersions() { for hpa in hpas.items { await plan(hpa) } }
                return Self.versionInterval
            }
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            await consumer.value
        } onCancelOrGracefulShutdown: {
            consumer.cancel()
            watcher.cancel()
            releases.cancel()
        }
        watcher.cancel()
        releases.cancel()
        informer?.cancel()
        await scheduler.stop()
    }

    /// Every HPA's collected metrics (prometheus and alertmanager) as the metrics API serves them
    /// now, beside the HPA as cached: what the per-metric signals on `/metrics` are made of.
    public func servedMetrics(now: Date) async -> [(hpa: HorizontalPodAutoscaler, metrics: [ServedMetric])] {
        var planned: [ObjectKey: [ServedMetric]] = [:]
        for (hpa, metrics) in await scheduler.plannedMetrics {
            planned[hpa, default: []] += metrics.map { ServedMetric(specIndex: $0.specIndex, name: $0.name, key: $0.key) }
        }
        for (hpa, alerts) in alerts?.plannedAlerts ?? [:] {
            planned[hpa, default: []] += alerts.map { ServedMetric(specIndex: $0.specIndex, name: $0.name, key: $0.key) }
        }
        return planned.sorted { $0.key < $1.key }.compactMap { key, metrics in
            guard let hpa = hpas.get(namespace: key.namespace, name: key.name) else { return nil }
            let served = metrics.sorted { $0.specIndex < $1.specIndex }.map { metric in
                var metric = metric
                (metric.reading, metric.collectedAt) = store.served(metric.key, now: now).map { ($0.reading, $0.collectedAt) } ?? (nil, nil)
                return metric
            }
            return (hpa, served)
        }
    }

    /// The query's own value of each of an HPA's metrics (before per-replica division), by the
    /// metric's name, as of now: what activation thresholds compare. Missing: not collected.
    public func rawReadings(namespace: String, hpa name: String) async -> [String: Result<Quantity, MetricError>] {
        await scheduler.rawReadings(of: ObjectKey(namespace: namespace, name: name), now: now())
    }

    /// Tells when metrics start and stop being served from their fallback: a log line on every
    /// replica, an Event on the HPA from the leader, and the `/metrics` gauge.
    func watchFallbacks() async {
        let current = store.fallbacks(now: now())
        let (started, ended) = inFallback.withLock { previous in
            defer { previous = current }
            return (current.filter { previous[$0.key] == nil }, previous.filter { current[$0.key] == nil })
        }
        for (key, served) in started.sorted(by: { $0.key.description < $1.key.description }) {
            metrics.fallback(key, served)
            let rule = served.rule
            let message =
                "Metric \(rule.metric) cannot be read (\(served.error)); serving \(served.value), which makes the HPA controller propose \(rule.replicas) replicas for it (fallbackReplicas), until it reads again"
            logger.warning("metric in fallback", metadata: ["hpa": "\(rule.hpa)", "metric": "\(rule.metric)", "error": "\(served.error)", "replicas": "\(rule.replicas)"])
            await recordOnHPA(rule.hpa, .warning, reason: Self.fallbackStartedReason, message: message)
        }
        for (key, served) in ended.sorted(by: { $0.key.description < $1.key.description }) {
            metrics.fallback(key, nil)
            let rule = served.rule
            logger.info("metric out of fallback", metadata: ["hpa": "\(rule.hpa)", "metric": "\(rule.metric)"])
            await recordOnHPA(rule.hpa, .normal, reason: Self.fallbackEndedReason, message: "Metric \(rule.metric) is served from its query again; fallback ended")
        }
    }

    private func recordOnHPA(_ key: ObjectKey, _ kind: EventKind, reason: String, message: String) async {
        guard let hpa = hpas.get(namespace: key.namespace, name: key.name) else { return }
        let reference = ObjectReference(
            apiVersion: HorizontalPodAutoscaler.apiVersion, kind: HorizontalPodAutoscaler.kind,
            namespace: hpa.metadata.namespace, name: hpa.metadata.name, uid: hpa.metadata.uid)
        await events.record(kind, reason: reason, message: message, on: reference)
    }

    /// Reads the configured servers' releases; whether what is known changed. A server that does
    /// not answer keeps the release last read.
    private func readVersions() async -> Bool {
        let servers = ([configuration.servers.defaultServer].compactMap { $0 } + configuration.servers.aliases.values)
        var read: [String: PrometheusVersion] = [:]
        for server in servers where read[server.url] == nil {
            if let version = try? await PrometheusClient(server: server).version() { read[server.url] = version }
        }
        return versions.withLock { known in
            let updated = known.merging(read) { $1 }
            defer { known = updated }
            return updated != known
        }
    }

    private func plan(_ hpa: HorizontalPodAutoscaler) async {
        let plan = MetricPlanner.plan(
            hpa, servers: configuration.servers, settings: configuration.settings, alertSource: alerts != nil,
            versions: versions.withLock { $0 })
        alerts?.subscribe(Self.key(hpa), plan.alerts, now: now())
        let conflicts = await scheduler.apply(Self.key(hpa), plan.metrics)
        serveUnsupported(plan.unsupported, of: Self.key(hpa))
        let claimed = conflicts.map { PlanProblem(annotation: $0.metric.annotation, reason: .claimedByAnother(hpa: $0.other.description, metric: $0.metric.key.description)) }
        await report((plan.problems + claimed).sorted { $0.annotation < $1.annotation }, on: hpa)
    }

    /// Metrics an HPA asks of a kube-metrics-adapter collector we do not run: the metrics API
    /// answers them with an error saying so (not "no HPA names it"), for as long as the HPA asks.
    private func serveUnsupported(_ unsupported: [MetricKey: String], of hpa: ObjectKey) {
        let source = "unsupported:\(hpa)"
        let previous = unsupportedKeys.withLock { keys in
            defer { keys[hpa] = unsupported.isEmpty ? nil : Set(unsupported.keys) }
            return keys[hpa] ?? []
        }
        for key in previous.subtracting(unsupported.keys) where store.source(of: key) == source { store.remove(key) }
        let time = now()
        for (key, collector) in unsupported where store.source(of: key) == nil || store.source(of: key) == source {
            store.expect(key, source: source, maxAge: .seconds(86_400 * 365 * 100), now: time)
            store.record(key, .failure(.unsupportedCollector(collector: collector, hpa: hpa.description)), source: source, at: time)
        }
    }

    private func forget(namespace: String?, name: String) async {
        let key = ObjectKey(namespace: namespace, name: name)
        serveUnsupported([:], of: key)
        await scheduler.apply(key, [])
        alerts?.subscribe(key, [], now: now())
        _ = reported.withLock { $0.removeValue(forKey: key) }
        events.forget(kind: HorizontalPodAutoscaler.kind, namespace: namespace, name: name)
    }

    /// A log line when an HPA's problems change, and a Warning Event from the leader
    /// (the recorder writes an identical Event only once, however often the HPA is planned).
    private func report(_ problems: [PlanProblem], on hpa: HorizontalPodAutoscaler) async {
        let key = Self.key(hpa)
        let changed = reported.withLock { reported in
            guard reported[key, default: []] != problems else { return false }
            reported[key] = problems.isEmpty ? nil : problems
            return true
        }
        let message = problems.map(\.description).joined(separator: "; ")
        if changed {
            if problems.isEmpty {
                logger.info("metric config valid again", metadata: ["hpa": "\(key)"])
            } else if problems.allSatisfy(\.reason.isWarning) {
                logger.warning("metric config warnings; those metrics are collected (or not served) as said", metadata: ["hpa": "\(key)", "problems": "\(message)"])
            } else {
                logger.warning("invalid metric config; those metrics are not collected", metadata: ["hpa": "\(key)", "problems": "\(message)"])
            }
        }
        if problems.isEmpty {
            if changed { events.forget(kind: HorizontalPodAutoscaler.kind, namespace: hpa.metadata.namespace, name: hpa.metadata.name ?? "") }
            return
        }
        let reference = ObjectReference(
            apiVersion: HorizontalPodAutoscaler.apiVersion, kind: HorizontalPodAutoscaler.kind,
            namespace: hpa.metadata.namespace, name: hpa.metadata.name, uid: hpa.metadata.uid)
        await events.record(.warning, reason: Self.invalidConfigReason, message: message, on: reference)
    }

    static func key(_ hpa: HorizontalPodAutoscaler) -> ObjectKey { hpa.metadata.key }

    /// Replicas from the scale subresource of Deployments and StatefulSets.
    static func scaleReplicas(_ client: KubeClient) -> ReplicaCounter {
        { target in Int(try await scale(client, target).status?.replicas ?? 0) }
    }

    /// The pod selector from the same subresource (what the HPA controller sends as labelSelector).
    static func scalePodSelector(_ client: KubeClient) -> PodSelectorReader {
        { target in (try? await scale(client, target).status?.selector).flatMap { $0 }.flatMap { try? Selector(parsing: $0) } }
    }

    private static func scale(_ client: KubeClient, _ target: ScaleTarget) async throws -> Scale {
        switch target.kind {
        case Deployment.kind: try await client.scale(Deployment.self, namespace: target.namespace, name: target.name)
        case StatefulSet.kind: try await client.scale(StatefulSet.self, namespace: target.namespace, name: target.name)
        default: throw UnsupportedScaleTarget(kind: target.kind)
        }
    }
}

/// per-replica needs the replicas of a kind this collector can read.
struct UnsupportedScaleTarget: Error, CustomStringConvertible {
    var kind: String
    var description: String { "per-replica supports Deployment and StatefulSet scale targets, not \(kind)" }
}

/// One HPA metric as served now.
public struct ServedMetric: Sendable {
    /// Its place in the HPA's `spec.metrics`.
    public var specIndex: Int
    public var name: String
    public var key: MetricKey
    /// nil: nothing collected yet.
    public var reading: Result<Collected, MetricError>?
    public var collectedAt: Date?

    public init(specIndex: Int, name: String, key: MetricKey, reading: Result<Collected, MetricError>? = nil, collectedAt: Date? = nil) {
        self.specIndex = specIndex
        self.name = name
        self.key = key
        self.reading = reading
        self.collectedAt = collectedAt
    }
}
