import Foundation
import KubeModel
import Synchronization

/// A change the informer saw, delivered to handlers in order.
public enum InformerEvent<Object: Sendable>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)
}

/// Exponential backoff with full jitter.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait before attempt `failures` (1-based): a random time up to initial × 2^(failures-1), capped.
    public func delay(afterFailures failures: Int) -> Duration {
        let ceiling = min(initial * (1 << min(failures - 1, 30)), maximum)
        return ceiling * Double.random(in: 0.5...1.0)
    }
}

/// client-go's reflector and store: lists, then watches from the list's resourceVersion; re-watches
/// from the last version seen when a watch ends; relists on 410 Expired (reporting objects that
/// vanished meanwhile as deleted); backs off on errors. The cache is safe to read from any thread.
public final class Informer<Object: APIObject>: Sendable {
    public let client: KubeClient
    public let namespace: String?
    public let labelSelector: String?
    private let watchTimeoutSeconds: Int
    private let backoff: Backoff
    private let onRelist: @Sendable () -> Void
    private let onError: @Sendable (any Error) -> Void
    private let transform: @Sendable (Object) -> Object
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [String: Object] = [:]
        var synced = false
        var subscribers: [UUID: AsyncStream<InformerEvent<Object>>.Continuation] = [:]
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    /// - Parameters:
    ///   - onRelist: called on every list after the first (a 410 or a failure forced it).
    ///   - onError: called for every failed list or watch, before the backoff.
    ///   - transform: applied to every object before it is cached and reported: drop what no reader
    ///     needs, and the cache holds only that (client-go's SetTransform).
    public init(
        client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
        watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff(), onRelist: @escaping @Sendable () -> Void = {},
        onError: @escaping @Sendable (any Error) -> Void = { _ in }, transform: @escaping @Sendable (Object) -> Object = { $0 }
    ) {
        self.transform = transform
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.backoff = backoff
        self.onRelist = onRelist
        self.onError = onError
    }

    // MARK: Reading the cache

    public static func key(namespace: String?, name: String) -> String {
        "\(namespace ?? "")/\(name)"
    }

    public func get(namespace: String?, name: String) -> Object? {
        state.withLock { $0.objects[Self.key(namespace: namespace, name: name)] }
    }

    /// Every cached object, ordered by namespace/name.
    public var items: [Object] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    public var count: Int { state.withLock { $0.objects.count } }

    /// True once the first list has been stored.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Returns once synced, or once `run` has ended without syncing (check `hasSynced`).
    public func waitForSync() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.synced || state.stopped { return true }
                state.syncWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Changes from now on (subscribe before `run` to see the initial list as `added`).
    public func events() -> AsyncStream<InformerEvent<Object>> {
        let (stream, continuation) = AsyncStream<InformerEvent<Object>>.makeStream()
        let id = UUID()
        state.withLock { $0.subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    // MARK: The reflector

    /// Runs until the task is cancelled; then every event stream ends.
    public func run() async {
        var resourceVersion: String?
        var failures = 0
        var lists = 0
        defer {
            // Finished outside the lock: a stream's termination handler takes it to unsubscribe.
            let subscribers = state.withLock { state in
                defer { state.subscribers = [:] }
                return Array(state.subscribers.values)
            }
            subscribers.forEach { $0.finish() }
            // Nobody waits forever for a sync that will not come.
            let waiters = state.withLock { state in
                defer {
                    state.syncWaiters = []
                    state.stopped = true
                }
                return state.syncWaiters
            }
            waiters.forEach { $0.resume() }
        }
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    let list = try await client.list(Object.self, namespace: namespace, options: ListOptions(labelSelector: labelSelector, limit: 500),
                                                     transform: transform)
                    replace(with: list.items)
                    resourceVersion = list.metadata?.resourceVersion
                    lists += 1
                    if lists > 1 { onRelist() }
                }
                let timeout = watchTimeoutSeconds + Int.random(in: 0...max(watchTimeoutSeconds / 5, 0))
                let events = try await client.watch(Object.self, namespace: namespace, options: WatchOptions(
                    resourceVersion: resourceVersion, timeoutSeconds: timeout, labelSelector: labelSelector))
                for try await event in events {
                    switch event {
                    case .added(let object), .modified(let object):
                        upsert(transform(object))
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                    case .deleted(let object):
                        remove(transform(object))
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                    case .bookmark(let version):
                        if !version.isEmpty { resourceVersion = version }
                    }
                    failures = 0
                }
            } catch is CancellationError {
                return
            } catch KubeError.expired {
                // Our resume point is gone: list again, now, and report what changed meanwhile.
                resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                onError(error)
                failures += 1
                var delay = backoff.delay(afterFailures: failures)
                // A throttled client waits at least as long as the apiserver asked.
                if case KubeError.tooManyRequests(_, let retryAfter?) = error { delay = max(delay, retryAfter) }
                try? await Task.sleep(for: delay)
            }
        }
    }

    private func publish(_ events: [InformerEvent<Object>], in state: inout State) {
        for event in events {
            for subscriber in state.subscribers.values { subscriber.yield(event) }
        }
    }

    private func key(_ object: Object) -> String {
        Self.key(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    private func upsert(_ object: Object) {
        state.withLock { state in
            let key = key(object)
            let old = state.objects.updateValue(object, forKey: key)
            publish([old.map { .updated(old: $0, new: object) } ?? .added(object)], in: &state)
        }
    }

    private func remove(_ object: Object) {
        state.withLock { state in
            let old = state.objects.removeValue(forKey: key(object))
            publish([.deleted(old ?? object)], in: &state)
        }
    }

    /// Stores a full list, reporting the differences from what was cached.
    private func replace(with items: [Object]) {
        state.withLock { state in
            var fresh: [String: Object] = [:]
            var events: [InformerEvent<Object>] = []
            for item in items {
                let key = key(item)
                fresh[key] = item
                if let old = state.objects[key] {
                    if old.metadata.resourceVersion != item.metadata.resourceVersion { events.append(.updated(old: old, new: item)) }
                } else {
                    events.append(.added(item))
                }
            }
            for (key, old) in state.objects where fresh[key] == nil { events.append(.deleted(old)) }
            state.objects = fresh
            publish(events, in: &state)
            if !state.synced {
                state.synced = true
                state.syncWaiters.forEach { $0.resume() }
                state.syncWaiters = []
            }
        }
    }
}
