import Foundation
import KubeClient
import KubeModel

/// What the HPA reconciler writes.
public protocol HPAWriter: Sendable {
    /// Creates the HPA (POST, owned by our Update entry), unless one of its name exists already:
    /// then nothing is written and that one is returned as the apiserver has it, so an HPA the
    /// cache has not seen yet is never taken over.
    func create(_ hpa: HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler?
    /// What the apiserver would store for `hpa` (`dryRun=All`): nothing is stored.
    func dryRunCreate(_ hpa: HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler
    /// Server-side applies exactly these fields.
    func apply(_ hpa: HorizontalPodAutoscaler) async throws
    /// A JSON merge patch (owned by our Update entry), answering the HPA as patched.
    func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler
    /// Deletes that incarnation of the HPA (by uid); an HPA already gone is not an error.
    func delete(namespace: String, name: String, uid: String) async throws
}

/// The writer over the apiserver, counting its writes on `/metrics`.
struct APIServerHPAWriter: HPAWriter {
    let client: KubeClient
    let metrics: OperatorMetrics

    func create(_ hpa: HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler? {
        do {
            try await client.createFields(hpa, fieldManager: HPAReconciler.fieldManager)
            metrics.creates.increment()
            return nil
        } catch KubeError.alreadyExists(let status) {
            do {
                return try await client.get(HorizontalPodAutoscaler.self, namespace: hpa.metadata.namespace, name: hpa.metadata.name ?? "")
            } catch KubeError.notFound {
                // Deleted again since: the next reconcile creates it.
                throw KubeError.alreadyExists(status)
            }
        }
    }

    func dryRunCreate(_ hpa: HorizontalPodAutoscaler) async throws -> HorizontalPodAutoscaler {
        try await client.create(hpa, fieldManager: HPAReconciler.fieldManager, dryRun: true)
    }

    func apply(_ hpa: HorizontalPodAutoscaler) async throws {
        try await client.applyFields(hpa, fieldManager: HPAReconciler.fieldManager, force: true)
        metrics.applies.increment()
    }

    func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler {
        let patched = try await client.patch(HorizontalPodAutoscaler.self, namespace: namespace, name: name,
                                             .merge(try JSONEncoder().encode(patch), fieldManager: HPAReconciler.fieldManager))
        metrics.patches.increment()
        return patched
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
