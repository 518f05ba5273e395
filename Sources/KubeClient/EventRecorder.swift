import Foundation
import KubeModel
import Logging
import Synchronization

/// Where reconcilers and the collector report what they did and what is wrong: Events on objects.
public protocol EventSink: Sendable {
    /// Records an event unless it is the one last recorded for this object.
    func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async
    /// Forgets what was recorded for an object (it is gone).
    func forget(kind: String, namespace: String?, name: String)
}

public enum EventKind: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Writes core/v1 Events on objects (workloads, HPAs), and not the same one twice in a row for an
/// object while its state is unchanged.
public final class EventRecorder: EventSink {
    public static let component = "hpa-operator"

    private let client: KubeClient
    private let instance: String
    private let logger: Logger
    private let last = Mutex<[String: String]>([:])

    public init(client: KubeClient, instance: String, logger: Logger) {
        self.client = client
        self.instance = instance
        self.logger = logger
    }

    public func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async {
        let key = "\(object.kind ?? "")/\(object.namespace ?? "")/\(object.name ?? "")"
        let fingerprint = "\(kind.rawValue)|\(reason)|\(message)"
        let fresh = last.withLock { last in
            guard last[key] != fingerprint else { return false }
            last[key] = fingerprint
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
            last.withLock { $0[key] = nil }
            logger.warning("could not record event", metadata: ["reason": "\(reason)", "object": "\(key)", "error": "\(error)"])
        }
    }

    public func forget(kind: String, namespace: String?, name: String) {
        _ = last.withLock { $0.removeValue(forKey: "\(kind)/\(namespace ?? "")/\(name)") }
    }
}
