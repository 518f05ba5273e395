import KubeClient
import KubeModel

/// What the HPA reconciler writes, and the one live read it needs when the cache shows nothing.
public protocol HPAWriter: Sendable {
    /// Server-side applies exactly these fields (creating the HPA when there is none).
    func apply(_ hpa: HorizontalPodAutoscaler) async throws
    /// Deletes that incarnation of the HPA (by uid); an HPA already gone is not an error.
    func delete(namespace: String, name: String, uid: String) async throws
    /// The HPA as the apiserver has it now, or nil.
    func get(namespace: String, name: String) async throws -> HorizontalPodAutoscaler?
}

/// The writer over the apiserver, counting its writes on `/metrics`.
struct APIServerHPAWriter: HPAWriter {
    let client: KubeClient
    let metrics: OperatorMetrics

    func apply(_ hpa: HorizontalPodAutoscaler) async throws {
        try await client.applyFields(hpa, fieldManager: HPAReconciler.fieldManager, force: true)
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

    func get(namespace: String, name: String) async throws -> HorizontalPodAutoscaler? {
        do {
            return try await client.get(HorizontalPodAutoscaler.self, namespace: namespace, name: name)
        } catch KubeError.notFound {
            return nil
        }
    }
}
