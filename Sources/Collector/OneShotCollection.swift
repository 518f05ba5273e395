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

    public init(servers: PrometheusServers, settings: CollectionSettings = CollectionSettings(), maxConcurrentQueries: Int = 8,
                replicas: ReplicaCounter? = nil) {
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
        let scheduler = CollectionScheduler(store: store, maxConcurrentQueries: maxConcurrentQueries, replicas: replicas,
                                            logger: logger, now: { clock }, periodic: false)
        var plans: [ObjectKey: MetricPlan] = [:]
        for hpa in hpas {
            let plan = MetricPlanner.plan(hpa, servers: servers, settings: settings)
            plans[Collector.key(hpa)] = plan
            await scheduler.apply(Collector.key(hpa), plan.metrics)
        }
        await scheduler.collectOnce(at: time)
        return (plans, store)
    }
}
