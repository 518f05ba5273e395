import KubeModel
import Synchronization

/// client-go's thread-safe store: the informer's cache, keyed `namespace/name`, readable from any
/// thread. Only the reflector writes it; each write returns the events it amounts to, in order.
final class Store<Object: APIObject>: Sendable {
    private struct State {
        var objects: [ObjectKey: CachedObject<Object>] = [:]
        /// The objects carrying each tag.
        var index: [String: Set<ObjectKey>] = [:]

        mutating func unindex(_ object: CachedObject<Object>) {
            for tag in object.tags {
                index[tag]?.remove(object.key)
                if index[tag]?.isEmpty == true { index[tag] = nil }
            }
        }

        mutating func reindex(_ object: CachedObject<Object>) {
            for tag in object.tags { index[tag, default: []].insert(object.key) }
        }
        var synced = false
        var stopped = false
        var syncWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func get(_ key: ObjectKey) -> CachedObject<Object>? { state.withLock { $0.objects[key] } }

    /// Every object, ordered by namespace/name.
    var all: [CachedObject<Object>] { state.withLock { $0.objects.sorted { $0.key < $1.key }.map(\.value) } }

    var count: Int { state.withLock { $0.objects.count } }

    /// The objects carrying `tag`, ordered by namespace/name.
    func tagged(_ tag: String) -> [CachedObject<Object>] {
        state.withLock { state in (state.index[tag] ?? []).sorted().compactMap { state.objects[$0] } }
    }

    var byteCount: Int { state.withLock { $0.objects.values.reduce(0) { $0 + $1.byteCount } } }

    var hasSynced: Bool { state.withLock { $0.synced } }

    func upsert(_ object: CachedObject<Object>) -> InformerEvent<Object> {
        state.withLock { state in
            let old = state.objects.updateValue(object, forKey: object.key)
            if let old { state.unindex(old) }
            state.reindex(object)
            return old.map { .updated(old: $0, new: object) } ?? .added(object)
        }
    }

    func remove(_ object: CachedObject<Object>) -> InformerEvent<Object> {
        state.withLock { state in
            let old = state.objects.removeValue(forKey: object.key)
            if let old { state.unindex(old) }
            return .deleted(old ?? object)
        }
    }

    /// Drops an object by key (one that can no longer be read); nil when it was not cached.
    func remove(key: ObjectKey) -> InformerEvent<Object>? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            state.unindex(old)
            return .deleted(old)
        }
    }

    /// Replaces everything with a full list; returns the differences from what was cached, and
    /// marks the store synced.
    func replace(with fresh: [ObjectKey: CachedObject<Object>]) -> [InformerEvent<Object>] {
        let (events, waiters) = state.withLock { state in
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
            state.index = [:]
            for object in fresh.values { state.reindex(object) }
            state.synced = true
            defer { state.syncWaiters = [] }
            return (events, state.syncWaiters)
        }
        waiters.forEach { $0.resume() }
        return events
    }

    /// Returns once synced, or once the reflector has stopped without syncing.
    func waitForSync() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if state.synced || state.stopped { return true }
                state.syncWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The reflector ended: nobody waits forever for a sync that will not come.
    func stop() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.syncWaiters = [] }
            return state.syncWaiters
        }
        waiters.forEach { $0.resume() }
    }
}
