import Foundation
import KubeModel
import Synchronization

/// A change the informer saw, delivered to handlers in order.
public enum InformerEvent<Object: APIObject>: Sendable {
    case added(CachedObject<Object>)
    case updated(old: CachedObject<Object>, new: CachedObject<Object>)
    case deleted(CachedObject<Object>)

    /// An update of what the cache does not keep (a status, the resourceVersion): handlers that
    /// read only the cache have nothing to do for it.
    public var changesNothingCached: Bool {
        if case .updated(let old, let new) = self { return old.hasSameContent(as: new) }
        return false
    }

    /// The object as it is now (for a deletion: as it was last seen).
    public var latest: CachedObject<Object> {
        switch self {
        case .added(let object), .updated(_, let object), .deleted(let object): object
        }
    }
}

/// One object as an informer caches it: its JSON, decoded when read. That is one allocation per
/// object instead of a tree of strings, arrays and dictionaries (about five times smaller), and a
/// reference wherever it is kept or queued for a slow reader. (Sendable: the storage is never
/// written after it is made.)
public struct CachedObject<Object: APIObject>: @unchecked Sendable {
    private let storage: CachedBytes

    /// The resourceVersion is kept beside the JSON, not in it, so two versions of an object whose
    /// cached content is the same have the same JSON (see `hasSameContent`).
    /// - Parameter tag: a short fact about the object that readers want without decoding it.
    public init(_ object: Object, tag: String? = nil) throws {
        var unversioned = object
        unversioned.metadata.resourceVersion = nil
        let json = try KubeClient.encoder.encode(unversioned)
        storage = CachedBytes.make(CachedBytes.Header(namespace: object.metadata.namespace, name: object.metadata.name ?? "",
                                                      resourceVersion: object.metadata.resourceVersion, tag: tag, count: json.count), json)
    }

    public var namespace: String? { storage.header.namespace }
    public var name: String { storage.header.name }
    public var resourceVersion: String? { storage.header.resourceVersion }
    /// What the informer's `tag` said of the object when it was cached.
    public var tag: String? { storage.header.tag }
    /// The size of the cached JSON.
    public var byteCount: Int { storage.header.count }

    /// The informer's key: `namespace/name`.
    public var key: String { Informer<Object>.key(namespace: namespace, name: name) }

    /// The object. It was encoded from the same type, so this fails only on a bug in a model
    /// type's Codable conformance (the tests round-trip every cached kind).
    public func decoded() throws -> Object {
        var object = try cacheDecoder.decode(Object.self, from: storage.json)
        object.metadata.resourceVersion = resourceVersion
        return object
    }

    /// True when everything cached of the two is the same, whatever their resourceVersions: an
    /// update that changed only what the informer's transform drops (a status, say) needs no work.
    public func hasSameContent(as other: CachedObject) -> Bool {
        storage === other.storage || storage.hasSameBytes(as: other.storage)
    }
}

/// A cached object's identity and JSON in a single allocation.
private final class CachedBytes: ManagedBuffer<CachedBytes.Header, UInt8> {
    struct Header {
        let namespace: String?
        let name: String
        let resourceVersion: String?
        let tag: String?
        let count: Int
    }

    static func make(_ header: Header, _ json: Data) -> CachedBytes {
        let buffer = create(minimumCapacity: header.count) { _ in header }
        buffer.withUnsafeMutablePointerToElements { elements in _ = json.copyBytes(to: UnsafeMutableBufferPointer(start: elements, count: header.count)) }
        return unsafeDowncast(buffer, to: CachedBytes.self)
    }

    var json: Data {
        withUnsafeMutablePointerToElements { Data(bytes: $0, count: header.count) }
    }

    func hasSameBytes(as other: CachedBytes) -> Bool {
        header.count == other.header.count && withUnsafeMutablePointerToElements { mine in
            other.withUnsafeMutablePointerToElements { theirs in memcmp(mine, theirs, header.count) == 0 }
        }
    }
}

private let cacheDecoder = JSONDecoder()

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
    private let tag: @Sendable (Object) -> String?
    private let state = Mutex<State>(State())

    private struct State {
        var objects: [String: CachedObject<Object>] = [:]
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
    ///   - tag: computed once per cached object, readable from `CachedObject.tag` without decoding it.
    public init(
        client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
        watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff(), onRelist: @escaping @Sendable () -> Void = {},
        onError: @escaping @Sendable (any Error) -> Void = { _ in }, transform: @escaping @Sendable (Object) -> Object = { $0 },
        tag: @escaping @Sendable (Object) -> String? = { _ in nil }
    ) {
        self.transform = transform
        self.tag = tag
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.backoff = backoff
        self.onRelist = onRelist
        self.onError = onError
    }

    /// Objects per list page. Smaller than client-go's 500: each page is decoded whole before it
    /// is cached, and with three informers listing at once the pages in flight are most of the
    /// memory a sync needs beyond the cache itself. 10,000 objects are still only 100 requests.
    static var pageSize: Int { 100 }

    // MARK: Reading the cache

    public static func key(namespace: String?, name: String) -> String {
        "\(namespace ?? "")/\(name)"
    }

    public func get(namespace: String?, name: String) -> Object? {
        state.withLock { $0.objects[Self.key(namespace: namespace, name: name)] }.flatMap(decode)
    }

    /// Every cached object, ordered by namespace/name.
    public var items: [Object] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }.compactMap(decode)
    }

    /// A cached object that cannot be decoded is a bug in its model type: reported, then treated as absent.
    public func decode(_ cached: CachedObject<Object>) -> Object? {
        do {
            return try cached.decoded()
        } catch {
            onError(KubeError.decoding("the informer's cached \(Object.resource.kind) \(cached.key) cannot be read back: \(error)"))
            return nil
        }
    }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The cached JSON of every object together, in bytes.
    public var cachedBytes: Int { state.withLock { $0.objects.values.reduce(0) { $0 + $1.byteCount } } }

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
                    // Page by page into a fresh cache: a large list never holds every full object at once.
                    var fresh: [String: CachedObject<Object>] = [:]
                    let list = try await client.list(Object.self, namespace: namespace, options: ListOptions(labelSelector: labelSelector, limit: Self.pageSize)) { page in
                        for object in page {
                            let cached = try cache(object)
                            fresh[cached.key] = cached
                        }
                    }
                    replace(with: fresh)
                    resourceVersion = list?.resourceVersion
                    lists += 1
                    if lists > 1 { onRelist() }
                }
                let timeout = watchTimeoutSeconds + Int.random(in: 0...max(watchTimeoutSeconds / 5, 0))
                let events = try await client.watch(Object.self, namespace: namespace, options: WatchOptions(
                    resourceVersion: resourceVersion, timeoutSeconds: timeout, labelSelector: labelSelector))
                for try await event in events {
                    switch event {
                    case .added(let object), .modified(let object):
                        upsert(try cache(object))
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                    case .deleted(let object):
                        remove(try cache(object))
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

    private func cache(_ object: Object) throws -> CachedObject<Object> {
        do {
            let slim = transform(object)
            return try CachedObject(slim, tag: tag(slim))
        } catch {
            throw KubeError.decoding("cannot cache \(Object.resource.kind) \(object.metadata.qualifiedName): \(error)")
        }
    }

    private func upsert(_ object: CachedObject<Object>) {
        state.withLock { state in
            let old = state.objects.updateValue(object, forKey: object.key)
            publish([old.map { .updated(old: $0, new: object) } ?? .added(object)], in: &state)
        }
    }

    private func remove(_ object: CachedObject<Object>) {
        state.withLock { state in
            let old = state.objects.removeValue(forKey: object.key)
            publish([.deleted(old ?? object)], in: &state)
        }
    }

    /// Stores a full list, reporting the differences from what was cached.
    private func replace(with fresh: [String: CachedObject<Object>]) {
        state.withLock { state in
            var events: [InformerEvent<Object>] = []
            for key in fresh.keys.sorted() {
                let item = fresh[key]!
                if let old = state.objects[key] {
                    if old.resourceVersion != item.resourceVersion { events.append(.updated(old: old, new: item)) }
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
