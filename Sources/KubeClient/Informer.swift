import KubeModel

/// client-go's shared informer: a `Reflector` keeping a `Store` (the cache, safe to read from any
/// thread) in step with the apiserver, and a `Broadcaster` telling every subscriber what changed.
public final class Informer<Object: APIObject>: Sendable {
    public let client: KubeClient
    public let namespace: String?
    public let labelSelector: String?
    private let reflector: Reflector<Object>
    private let store = Store<Object>()
    private let broadcaster = Broadcaster<InformerEvent<Object>>()
    private let onError: @Sendable (any Error) -> Void

    /// - Parameters:
    ///   - onRelist: called on every list after the first (a 410 or a failure forced it).
    ///   - onError: called for every failed list or watch, before the backoff.
    ///   - transform: applied to every object before it is cached and reported: drop what no reader
    ///     needs, and the cache holds only that (client-go's SetTransform).
    ///   - tags: computed once per cached object, readable from `CachedObject.tags` without decoding
    ///     it; `items(tagged:)` finds the objects with a tag.
    public init(
        client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
        watchTimeoutSeconds: Int = 300, backoff: Backoff = Backoff(), onRelist: @escaping @Sendable () -> Void = {},
        onError: @escaping @Sendable (any Error) -> Void = { _ in }, transform: @escaping @Sendable (Object) -> Object = { $0 },
        tags: @escaping @Sendable (Object) -> [String] = { _ in [] }
    ) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.onError = onError
        reflector = Reflector(
            client: client, namespace: namespace, labelSelector: labelSelector, watchTimeoutSeconds: watchTimeoutSeconds, backoff: backoff,
            onRelist: onRelist, onError: onError,
            cache: { object in
                do {
                    let slim = transform(object)
                    return try CachedObject(slim, tags: tags(slim))
                } catch {
                    throw KubeError.decoding("cannot cache \(Object.resource.kind) \(object.metadata.qualifiedName): \(error)")
                }
            })
    }

    // MARK: Reading the cache

    public func get(namespace: String?, name: String) -> Object? {
        store.get(ObjectKey(namespace: namespace, name: name)).flatMap(decode)
    }

    /// Every cached object, ordered by namespace/name.
    public var items: [Object] { store.all.compactMap(decode) }

    /// A cached object that cannot be decoded is a bug in its model type: reported, then treated as absent.
    public func decode(_ cached: CachedObject<Object>) -> Object? {
        do {
            return try cached.decoded()
        } catch {
            onError(KubeError.decoding("the informer's cached \(Object.resource.kind) \(cached.key) cannot be read back: \(error)"))
            return nil
        }
    }

    /// The cached objects carrying `tag`, ordered by namespace/name.
    public func items(tagged tag: String) -> [Object] { store.tagged(tag).compactMap(decode) }

    public var count: Int { store.count }

    /// The cached JSON of every object together, in bytes.
    public var cachedBytes: Int { store.byteCount }

    /// True once the first list has been stored.
    public var hasSynced: Bool { store.hasSynced }

    /// Returns once synced, or once `run` has ended without syncing (check `hasSynced`).
    public func waitForSync() async { await store.waitForSync() }

    /// Changes from now on (subscribe before `run` to see the initial list as `added`).
    public func events() -> AsyncStream<InformerEvent<Object>> { broadcaster.subscribe() }

    // MARK: Running

    /// Runs until the task is cancelled; then every event stream ends.
    public func run() async {
        await reflector.run(into: store, publishing: broadcaster)
        broadcaster.finish()
        store.stop()
    }
}
