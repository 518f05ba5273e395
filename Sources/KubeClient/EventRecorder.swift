import Foundation
import KubeModel
import Logging
import Synchronization

/// Where reconcilers and the collector report what they did and what is wrong: Events on objects.
public protocol EventSink: Sendable {
    /// Records an event unless this object already has it (same reason and message).
    func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async
    /// Forgets what was recorded for an object (it is gone).
    func forget(kind: String, namespace: String?, name: String)
}

public enum EventKind: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Writes core/v1 Events on objects (workloads, HPAs), each (object, reason, message) once: a
/// warning that alternates with `HPAUpdated` is not written again and again. What an object had
/// is forgotten when it goes, and beyond its last `remembered` distinct events.
public final class EventRecorder: EventSink {
    public static let component = "hpa-operator"
    static let remembered = 16

    private let client: KubeClient
    private let instance: String
    private let logger: Logger
    /// Per object, the fingerprints of the events recorded, oldest first.
    private let recorded = Mutex<[String: [String]]>([:])

    public init(client: KubeClient, instance: String, logger: Logger) {
        self.client = client
        self.instance = instance
        self.logger = logger
    }

    public func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async {
        let key = Self.key(kind: object.kind ?? "", namespace: object.namespace, name: object.name ?? "")
        let fingerprint = "\(kind.rawValue)|\(reason)|\(message)"
        let fresh = recorded.withLock { recorded in
            guard recorded[key]?.contains(fingerprint) != true else { return false }
            recorded[key, default: []].append(fingerprint)
            if recorded[key]!.count > Self.remembered { recorded[key]!.removeFirst() }
            return true
        }
        guard fresh else { return }
        let time = Timestamp.rfc3339(Date())
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let event = Event(
            metadata: ObjectMeta(name: "\(object.name ?? "object").\(suffix)", namespace: object.namespace),
            involvedObject: object, reason: reason, message: message, type: kind.rawValue,
            component: Self.component, instance: instance, time: time)
        do {
            _ = try await client.create(event)
        } catch {
            // Events are best effort: the state they describe is in the logs too.
            recorded.withLock { $0[key]?.removeAll { $0 == fingerprint } }
            logger.warning("could not record event", metadata: ["reason": "\(reason)", "object": "\(key)", "error": "\(error)"])
        }
    }

    public func forget(kind: String, namespace: String?, name: String) {
        _ = recorded.withLock { $0.removeValue(forKey: Self.key(kind: kind, namespace: namespace, name: name)) }
    }

    private static func key(kind: String, namespace: String?, name: String) -> String {
        "\(kind)/\(ObjectKey(namespace: namespace, name: name))"
    }
}
