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
///
/// Recording does not wait for the apiserver (client-go's broadcaster does the same): events
/// queue, at most `backlog` of them, and are sent `inFlight` at a time, so a reconcile's write is
/// never behind its event's round trip. When the queue is full an event is dropped and logged.
public final class EventRecorder: EventSink {
    public static let component = "hpa-operator"
    static let remembered = 16
    static let backlog = 1_000
    static let inFlight = 4

    private struct Pending: Sendable {
        var event: Event
        var key: String
        var fingerprint: String
    }

    private let client: KubeClient
    private let instance: String
    private let logger: Logger
    /// Per object, the fingerprints of the events recorded, oldest first.
    private let recorded = Mutex<[String: [String]]>([:])
    private let queue: AsyncStream<Pending>.Continuation

    public init(client: KubeClient, instance: String, logger: Logger) {
        self.client = client
        self.instance = instance
        self.logger = logger
        let (stream, queue) = AsyncStream.makeStream(of: Pending.self, bufferingPolicy: .bufferingOldest(Self.backlog))
        self.queue = queue
        // Holds the recorder weakly: the stream ends when the recorder goes (deinit finishes it).
        Task { [weak self] in
            await withTaskGroup(of: Void.self) { sending in
                var running = 0
                for await pending in stream {
                    if running == Self.inFlight {
                        await sending.next()
                        running -= 1
                    }
                    guard let recorder = self else { return }
                    sending.addTask { await recorder.send(pending) }
                    running += 1
                }
            }
        }
    }

    deinit { queue.finish() }

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
        if case .dropped = queue.yield(Pending(event: event, key: key, fingerprint: fingerprint)) {
            unrecord(key, fingerprint)
            logger.warning("event dropped: \(Self.backlog) events are waiting to be sent", metadata: ["reason": "\(reason)", "object": "\(key)"])
        }
    }

    private func send(_ pending: Pending) async {
        do {
            _ = try await client.create(pending.event)
        } catch {
            // Events are best effort: the state they describe is in the logs too.
            unrecord(pending.key, pending.fingerprint)
            logger.warning("could not record event", metadata: ["reason": "\(pending.event.reason ?? "")", "object": "\(pending.key)", "error": "\(error)"])
        }
    }

    /// Not written after all: the same event may be recorded again.
    private func unrecord(_ key: String, _ fingerprint: String) {
        recorded.withLock { $0[key]?.removeAll { $0 == fingerprint } }
    }

    public func forget(kind: String, namespace: String?, name: String) {
        _ = recorded.withLock { $0.removeValue(forKey: Self.key(kind: kind, namespace: namespace, name: name)) }
    }

    private static func key(kind: String, namespace: String?, name: String) -> String {
        "\(kind)/\(ObjectKey(namespace: namespace, name: name))"
    }
}
