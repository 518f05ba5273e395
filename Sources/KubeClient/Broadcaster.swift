import Foundation
import Synchronization

/// Fans events out to every subscriber, in the order they were published (client-go's shared
/// informer handlers). A subscriber that reads slowly gets its events buffered, not dropped.
final class Broadcaster<Event: Sendable>: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<Event>.Continuation]>([:])

    /// Events from now on, until `finish()` or until the stream is dropped.
    func subscribe() -> AsyncStream<Event> {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        return stream
    }

    func publish(_ events: [Event]) {
        guard !events.isEmpty else { return }
        subscribers.withLock { subscribers in
            for event in events {
                for subscriber in subscribers.values { subscriber.yield(event) }
            }
        }
    }

    /// Ends every stream.
    func finish() {
        // Finished outside the lock: a stream's termination handler takes it to unsubscribe.
        let all = subscribers.withLock { subscribers in
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        all.forEach { $0.finish() }
    }
}
