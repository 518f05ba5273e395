import KubeModel

/// client-go's reflector: lists, then watches from the list's resourceVersion; re-watches from the
/// last version seen when a watch ends; relists on 410 Expired (the store reports what vanished
/// meanwhile as deleted); backs off on errors. It is the store's only writer, and publishes each
/// change after making it, so subscribers see changes in the store's order.
struct Reflector<Object: APIObject>: Sendable {
    let client: KubeClient
    let namespace: String?
    let labelSelector: String?
    let watchTimeoutSeconds: Int
    let backoff: Backoff
    /// Called on every list after the first (a 410 or a failure forced it).
    let onRelist: @Sendable () -> Void
    /// Called for every failed list or watch, before the backoff.
    let onError: @Sendable (any Error) -> Void
    /// What the store keeps of an object (the informer's transform and tag).
    let cache: @Sendable (Object) throws -> CachedObject<Object>

    /// Objects per list page. Smaller than client-go's 500: each page is decoded whole before it
    /// is cached, and with three informers listing at once the pages in flight are most of the
    /// memory a sync needs beyond the cache itself. 10,000 objects are still only 100 requests.
    static var pageSize: Int { 100 }

    /// Runs until the task is cancelled.
    func run(into store: Store<Object>, publishing broadcaster: Broadcaster<InformerEvent<Object>>) async {
        var resourceVersion: String?
        var failures = 0
        var lists = 0
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    // Page by page into a fresh cache: a large list never holds every full object at once.
                    var fresh: [ObjectKey: CachedObject<Object>] = [:]
                    let list = try await client.list(
                        Object.self, namespace: namespace, options: ListOptions(labelSelector: labelSelector, limit: Self.pageSize),
                        skipped: { onError(KubeError.decoding("\(Object.resource.kind) \($0)")) }
                    ) { page in
                        for object in page {
                            let cached = try cache(object)
                            fresh[cached.key] = cached
                        }
                    }
                    broadcaster.publish(store.replace(with: fresh))
                    resourceVersion = list?.resourceVersion
                    lists += 1
                    if lists > 1 { onRelist() }
                }
                let timeout = watchTimeoutSeconds + Int.random(in: 0...max(watchTimeoutSeconds / 5, 0))
                let events = try await client.watch(
                    Object.self, namespace: namespace,
                    options: WatchOptions(
                        resourceVersion: resourceVersion, timeoutSeconds: timeout, labelSelector: labelSelector))
                let opened = ContinuousClock.now
                var received = 0
                for try await event in events {
                    received += 1
                    switch event {
                    case .added(let object), .modified(let object):
                        broadcaster.publish([store.upsert(try cache(object))])
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                    case .deleted(let object):
                        broadcaster.publish([store.remove(try cache(object))])
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                    case .bookmark(let version):
                        if !version.isEmpty { resourceVersion = version }
                    case .undecodable(let object):
                        // Reported, and out of the cache (its old version is not what is there now).
                        onError(KubeError.decoding("\(Object.resource.kind) \(object)"))
                        if let key = object.key { broadcaster.publish(store.remove(key: key).map { [$0] } ?? []) }
                        resourceVersion = object.resourceVersion ?? resourceVersion
                    }
                    failures = 0
                }
                // A watch that ends at once without a single event (a proxy closing it, say) is a
                // failure: retried with backoff, never in a hot loop.
                if received == 0 && ContinuousClock.now - opened < .seconds(1) {
                    throw WatchEndedAtOnce()
                }
            } catch is CancellationError {
                return
            } catch KubeError.expired {
                // Our resume point is gone: list again, now.
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
}

/// A watch closed before it delivered anything.
struct WatchEndedAtOnce: Error, CustomStringConvertible {
    var description: String { "the watch ended at once without an event; retrying with backoff" }
}
