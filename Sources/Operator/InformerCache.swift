import KubeClient
import KubeModel
import Logging

/// The process's one cache per kind (controller-runtime's manager cache): one informer (one
/// list+watch) each for Deployments, StatefulSets and HPAs, slimmed to what is read
/// (`CacheSlimming`). The manager runs it; every component reads it: the reconciler and the zero
/// scaler through `AutoscalingCache`, the collector its HPAs, the metric store its replicas.
public final class InformerCache: AutoscalingCache, Sendable {
    public let deployments: Informer<Deployment>
    public let statefulSets: Informer<StatefulSet>
    public let hpas: Informer<HorizontalPodAutoscaler>

    init(client: KubeClient, namespace: String?, watchTimeoutSeconds: Int, backoff: Backoff, metrics: OperatorMetrics, logger: Logger) {
        func informer<T: APIObject>(_ resource: String, transform: @escaping @Sendable (T) -> T, tags: @escaping @Sendable (T) -> [String] = { _ in [] }) -> Informer<T> {
            Informer(
                client: client, namespace: namespace, watchTimeoutSeconds: watchTimeoutSeconds, backoff: backoff,
                onRelist: { metrics.relisted(resource) },
                onError: { logger.warning("list/watch failed; retrying with backoff", metadata: ["resource": "\(resource)", "error": "\($0)"]) },
                transform: transform, tags: tags)
        }
        deployments = informer("deployments", transform: CacheSlimming.workload)
        statefulSets = informer("statefulsets", transform: CacheSlimming.workload)
        hpas = informer("horizontalpodautoscalers", transform: CacheSlimming.hpa, tags: { WorkloadKey.related(to: $0).map(\.description) })
    }

    /// Runs the informers, each as its own task (a shutdown stops them even before they synced).
    func start() -> [Task<Void, Never>] {
        [Task { await self.deployments.run() }, Task { await self.statefulSets.run() }, Task { await self.hpas.run() }]
    }

    /// Waits for every informer's first list; whether all synced (false: stopped first).
    func waitForSync() async -> Bool {
        await deployments.waitForSync()
        await statefulSets.waitForSync()
        await hpas.waitForSync()
        return deployments.hasSynced && statefulSets.hasSynced && hpas.hasSynced
    }

    /// Every cached workload's key.
    var workloadKeys: [WorkloadKey] {
        deployments.items.map { WorkloadKey(kind: Deployment.kind, namespace: $0.metadata.namespace ?? "", name: $0.metadata.name ?? "") }
            + statefulSets.items.map { WorkloadKey(kind: StatefulSet.kind, namespace: $0.metadata.namespace ?? "", name: $0.metadata.name ?? "") }
    }

    public func workload(_ key: WorkloadKey) -> ObservedWorkload? {
        switch key.kind {
        case Deployment.kind: deployments.get(namespace: key.namespace, name: key.name).map(ObservedWorkload.deployment)
        case StatefulSet.kind: statefulSets.get(namespace: key.namespace, name: key.name).map(ObservedWorkload.statefulSet)
        default: nil
        }
    }

    public func hpa(namespace: String, name: String) -> HorizontalPodAutoscaler? {
        hpas.get(namespace: namespace, name: name)
    }

    public func hpas(targeting key: WorkloadKey) -> [HorizontalPodAutoscaler] {
        hpas.items(tagged: key.description).filter(key.isTarget(of:))
    }
}
