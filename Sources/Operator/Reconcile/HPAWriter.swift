import Foundation
import KubeClient
import KubeModel

/// What a create came to.
public enum HPACreation: Sendable {
    /// Stored; the HPA as stored when it was asked for (`answer`), else nil.
    case created(HorizontalPodAutoscaler?)
    /// One of its name exists already: nothing was written, and this is it as the apiserver has it.
    case exists(HorizontalPodAutoscaler)
}

/// What the HPA reconciler writes. `answer`: read back the HPA as stored (decoding costs; most
/// writes need only to know they succeeded).
public protocol HPAWriter: Sendable {
    /// Creates the HPA (POST, owned by our Update entry), unless one of its name exists already,
    /// so an HPA the cache has not seen yet is never taken over.
    func create(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HPACreation
    /// Server-side applies exactly these fields.
    func apply(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HorizontalPodAutoscaler?
    /// A JSON merge patch (owned by our Update entry), answering the HPA as patched.
    func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler
    /// Deletes that incarnation of the HPA (by uid); an HPA already gone is not an error.
    func delete(namespace: String, name: String, uid: String) async throws
}

/// The writer over the apiserver, counting its writes on `/metrics`.
struct APIServerHPAWriter: HPAWriter {
    let client: KubeClient
    let metrics: OperatorMetrics

    func create(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HPACreation {
        do {
            var stored: HorizontalPodAutoscaler?
            if answer {
                stored = try await client.create(hpa, fieldManager: HPAReconciler.fieldManager)
            } else {
                try await client.createFields(hpa, fieldManager: HPAReconciler.fieldManager)
            }
            metrics.creates.increment()
            return .created(stored)
        } catch KubeError.alreadyExists(let status) {
            do {
                return .exists(try await client.get(HorizontalPodAutoscaler.self, namespace: hpa.metadata.namespace, name: hpa.metadata.name ?? ""))
            } catch KubeError.notFound {
                // Deleted again since: the next reconcile creates it.
                throw KubeError.alreadyExists(status)
            }
        }
    }

    func apply(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HorizontalPodAutoscaler? {
        var stored: HorizontalPodAutoscaler?
        if answer {
            stored = try await client.apply(hpa, fieldManager: HPAReconciler.fieldManager, force: true)
        } else {
            try await client.applyFields(hpa, fieldManager: HPAReconciler.fieldManager, force: true)
        }
        metrics.applies.increment()
        return stored
    }

    func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler {
        let patched = try await client.patch(
            HorizontalPodAutoscaler.self, namespace: namespace, name: name,
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

/// A writer through the leadership fence: each write is refused (`NotLeading`) unless this
/// process may write at that moment.
public struct FencedHPAWriter: HPAWriter {
    let writer: any HPAWriter
    let leadership: Leadership

    public init(_ writer: any HPAWriter, leadership: Leadership) {
        self.writer = writer
        self.leadership = leadership
    }

    private func fence() throws {
        guard leadership.mayWrite else { throw NotLeading() }
    }

    public func create(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HPACreation {
        try fence()
        return try await writer.create(hpa, answer: answer)
    }

    public func apply(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HorizontalPodAutoscaler? {
        try fence()
        return try await writer.apply(hpa, answer: answer)
    }

    public func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler {
        try fence()
        return try await writer.patch(namespace: namespace, name: name, patch)
    }

    public func delete(namespace: String, name: String, uid: String) async throws {
        try fence()
        try await writer.delete(namespace: namespace, name: name, uid: uid)
    }
}
