import Foundation
import KubeModel
import Logging
import Synchronization

/// Where reconcilers and the collector report what they did and what is wrong: Events on objects.
public protocol EventSink: Sendable {
    /// Records an event unless this object already has it (same reason and message); a
    /// `repeatable` one (a transition that can come back: paused, resumed) every time.
    func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference, repeatable: Bool) async
    /// Forgets what was recorded for an object (it is gone).
    func forget(kind: String, namespace: String?, name: String)
}

extension EventSink {
    public func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async {
        await record(kind, reason: reason, message: message, on: object, repeatable: false)
    }
}

public enum EventKind: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Writes core/v1 Events on objects (workloads, HPAs), each (object, reason, message) once: a
/// warning that alternates with `HPAUpdated` is not written again and again. What an object had
/// is forgotten when it goes, and beyond its last `remembered` distinct events.
///
/// Recording does not wait for the apiserver: events queue and are sent `inFlight` at a time, so a
/// reconcile's write is not behind its event's round trip. At most `backlog` wait; past that a
/// recording waits for room rather than dropping the event (client-go drops them), since a
/// dropped warning might never be shown: its object is reconciled again only when it changes.
public final class EventRecorder: EventSink {
    public static let component = "hpa-operator"
    static let remembered = 16
    public static let defaultBacklog = 1_000
    static let inFlight = 4

    private struct Pending: Sendable {
        var event: Event
        var key: String
        var fingerprint: String
    }

    private let client: KubeClient
    private let instance: String
    private let logger: Logger
    private let backlog: Int
    /// Per object, the fingerprints of the events recorded, oldest first.
    private let recorded = Mutex<[String: [String]]>([:])
    private let queue: AsyncStream<Pending>.Continuation
    /// Events queued or being sent, and the recordings waiting for room.
    private let room = Mutex<(queued: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))

    public init(client: KubeClient, instance: String, logger: Logger, backlog: Int = EventRecorder.defaultBacklog) {
        self.client = client
        self.instance = instance
        self.logger = logger
        self.backlog = max(backlog, 1)
        let (stream, queue) = AsyncStream.makeStream(of: Pending.self)
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
                    sending.addTask {
                        await recorder.send(pending)
                        recorder.sent()
                    }
                    running += 1
                }
            }
        }
    }

    deinit { queue.finish() }

    public func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference, repeatable: Bool) async {
        let key = Self.key(kind: object.kind ?? "", namespace: object.namespace, name: object.name ?? "")
        let fingerprint = "\(kind.rawValue)|\(reason)|\(message)"
        let fresh =
            repeatable
            || recorded.withLock { recorded in
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
        await waitForRoom()
        queue.yield(Pending(event: event, key: key, fingerprint: fingerprint))
    }

    private func waitForRoom() async {
        await withCheckedContinuation { continuation in
            room.withLock { room in
                if room.queued < backlog {
                    room.queued += 1
                    continuation.resume()
                } else {
                    room.waiting.append(continuation)
                }
            }
        }
    }

    /// One event is out: its room goes to the longest waiting recording, if any.
    private func sent() {
        let next = room.withLock { room -> CheckedContinuation<Void, Never>? in
            guard !room.waiting.isEmpty else {
                room.queued -= 1
                return nil
            }
            return room.waiting.removeFirst()
        }
        next?.resume()
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
