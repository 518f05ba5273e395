import Foundation
import KubeModel
import Logging

/// The collector's own path — plan, query, interpret, store — run once over a set of HPAs
/// instead of on a schedule: for `preview` (what would the HPA see now?) and benchmarks.
public struct OneShotCollection: Sendable {
    public var servers: PrometheusServers
    public var settings: CollectionSettings
    public var maxConcurrentQueries: Int
    /// Replicas for per-replica metrics (default: none can be read).
    public var replicas: ReplicaCounter
    /// Alertmanager's alerts as read, for alertmanager metrics; nil: there is no Alertmanager
    /// source. A failed read makes every alertmanager metric an unknown-state error.
    public var alerts: Result<[ReceivedAlert], AlertmanagerPayload.Problem>?

    public init(
        servers: PrometheusServers, settings: CollectionSettings = CollectionSettings(), maxConcurrentQueries: Int = 8,
        replicas: ReplicaCounter? = nil, alerts: Result<[ReceivedAlert], AlertmanagerPayload.Problem>? = nil
    ) {
        self.alerts = alerts
        self.servers = servers
        self.settings = settings
        self.maxConcurrentQueries = maxConcurrentQueries
        self.replicas = replicas ?? { target in throw UnsupportedScaleTarget(kind: target.kind) }
    }

    /// Plans every HPA, runs each distinct query once at `time` (nil: now), and returns the plans
    /// (with their problems) by `namespace/name` and the store holding what the metrics API would serve.
    public func collect(_ hpas: [HorizontalPodAutoscaler], at time: Date?, logger: Logger = Logger(label: "hpa-operator.collector")) async -> (plans: [ObjectKey: MetricPlan], store: MetricStore) {
        let store = MetricStore()
        let clock = time ?? Date()
        let scheduler = CollectionScheduler(
            store: store, maxConcurrentQueries: maxConcurrentQueries, replicas: replicas,
            logger: logger, now: { clock }, periodic: false)
        let book = alerts.map { alerts in
            let book = AlertBook(store: store)
            if case .success(let listed) = alerts { book.listed(listed, now: clock) }
            return book
        }
        var plans: [ObjectKey: MetricPlan] = [:]
        for hpa in hpas {
            let plan = MetricPlanner.plan(hpa, servers: servers, settings: settings, alertSource: book != nil)
            plans[Collector.key(hpa)] = plan
            await scheduler.apply(Collector.key(hpa), plan.metrics)
            book?.subscribe(Collector.key(hpa), plan.alerts, now: clock)
        }
        await scheduler.collectOnce(at: time)
        return (plans, store)
    }
}
