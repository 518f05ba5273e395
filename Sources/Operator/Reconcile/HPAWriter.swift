import KubeClient
import KubeModel

/// What the HPA reconciler writes: HPAs, by server-side apply, and their deletion.
public protocol HPAWriter: Sendable {
    /// Creates or updates the HPA with exactly these fields, owned by the operator's field manager.
    func apply(_ hpa: HorizontalPodAutoscaler) async throws
    /// Deletes that incarnation of the HPA (by uid); an HPA already gone is not an error.
    func delete(namespace: String, name: String, uid: String) async throws
}

/// The writer over the apiserver.
/// The writer over the apiserver, counting its writes on `/metrics`.
struct APIServerHPAWriter: HPAWriter {
    let client: KubeClient
    let metrics: OperatorMetrics

    func apply(_ hpa: HorizontalPodAutoscaler) async throws {
        _ = try await client.apply(hpa, fieldManager: HPAReconciler.fieldManager, force: true)
        metrics.applies.increment()
    }

    func delete(namespace: String, name: String, uid: String) async throws {
        do {
            try await client.delete(HorizontalPodAutoscaler.self, namespace: namespace, name: name, uid: uid)
            metrics.deletes.increment()
        } catch KubeError.notFound {
            return
        }
    }
}
