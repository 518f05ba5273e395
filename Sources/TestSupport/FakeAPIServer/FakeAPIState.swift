import Foundation
import KubeModel

/// A request the double received, for tests to assert on.
public struct RecordedRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var contentType: String?
    public var body: Data
    public var userAgent: String?
    /// When it arrived (wall clock, so another process can compare).
    public var time: Date = Date()
    public var isWatch: Bool { query["watch"] == "1" || query["watch"] == "true" }
}

/// A watch event as the double sends it.
struct StoredEvent: Sendable {
    var resourceVersion: Int
    var type: String
    var object: JSONValue
    var namespace: String
}

/// The apiserver's storage: every object of every resource, one global resourceVersion counter
/// (as etcd's revision), a bounded window of past events for watches to resume from, and the
/// watches that are open.
actor FakeAPIState {
    struct ResourceKey: Hashable {
        var group: String
        var plural: String
    }
    typealias ObjectKey = KubeModel.ObjectKey
    struct Stored {
        var object: JSONValue
        /// Who owns which fields (written into the object as `metadata.managedFields`).
        var managed = ManagedFields()
    }
    struct Watcher {
        var namespace: String?
        var continuation: AsyncStream<StoredEvent>.Continuation
    }
    struct Fault {
        var remaining: Int
        var code: Int
        var reason: String
        var retryAfterSeconds: Int?
        var matches: @Sendable (RecordedRequest) -> Bool
    }

    var objects: [ResourceKey: [ObjectKey: Stored]] = [:]
    var revision = 1000
    var events: [ResourceKey: [StoredEvent]] = [:]
    /// Watches from a resourceVersion below this get 410 Expired.
    var oldestResumable: [ResourceKey: Int] = [:]
    let eventWindow: Int
    var watchers: [ResourceKey: [UUID: Watcher]] = [:]
    var faults: [Fault] = []
    /// Requests matching one of these get no answer until `stopHanging`.
    var hangs: [@Sendable (RecordedRequest) -> Bool] = []
    var requests: [RecordedRequest] = []
    var dropWatchesAfterEvents: Int?
    /// Watches are answered 200 and ended at once, without an event.
    var endWatchesAtOnce = false
    func setEndWatchesAtOnce(_ value: Bool) { endWatchesAtOnce = value }
    /// The next this-many watch requests are answered with 410 Expired, whatever their version.
    var watchesToExpire = 0
    var latency: Duration = .zero
    var listSnapshots: [String: (revision: Int, items: [JSONValue])] = [:]

    init(eventWindow: Int) {
        self.eventWindow = eventWindow
    }

    // MARK: Requests and faults

    func record(_ request: RecordedRequest) -> Fault? {
        requests.append(request)
        guard let index = faults.firstIndex(where: { $0.remaining > 0 && $0.matches(request) }) else { return nil }
        faults[index].remaining -= 1
        let fault = faults[index]
        if fault.remaining == 0 { faults.remove(at: index) }
        return fault
    }

    func addFault(_ fault: Fault) { faults.append(fault) }
    func addHang(_ matches: @escaping @Sendable (RecordedRequest) -> Bool) { hangs.append(matches) }
    func stopHanging() { hangs = [] }
    func hangs(_ request: RecordedRequest) -> Bool { hangs.contains { $0(request) } }
    func clearRequests() { requests = [] }
    func setDropWatches(afterEvents count: Int?) { dropWatchesAfterEvents = count }
    func setLatency(_ duration: Duration) { latency = duration }
    func expireWatches(_ count: Int) { watchesToExpire += count }

    // MARK: Storage

    func stored(_ resource: ResourceKey, _ key: ObjectKey) -> Stored? {
        objects[resource]?[key]
    }

    func all(_ resource: ResourceKey, namespace: String?) -> [(ObjectKey, Stored)] {
        (objects[resource] ?? [:]).filter { namespace == nil || $0.key.namespace == namespace }.sorted { $0.key < $1.key }
    }

    /// A consistent list: the objects as of one revision, and that revision.
    func snapshot(_ resource: ResourceKey, namespace: String?) -> (revision: Int, objects: [(ObjectKey, Stored)]) {
        (revision, all(resource, namespace: namespace))
    }

    /// Stores (or with nil removes) an object, but only if the stored one is still the version the
    /// writer read (`expecting`: its resourceVersion, nil for "absent"), as etcd's transactions
    /// guarantee: of two racing writers, one gets a 409. The new revision is taken here, in the same
    /// step, and stamped on the stored object and the event: revisions are committed in order, so a
    /// list at revision N holds every write up to N. Returns the stored object (for a removal, the
    /// event's) or nil when the race was lost; else tells the watches.
    func write(_ resource: ResourceKey, _ key: ObjectKey, _ stored: Stored?, expecting: String?, eventType: String, eventObject: JSONValue) -> JSONValue? {
        guard objects[resource]?[key]?.object["metadata"]?["resourceVersion"]?.stringValue == expecting else { return nil }
        revision += 1
        let version = JSONValue.string(String(revision))
        var stored = stored
        stored?.object["metadata"]?["resourceVersion"] = version
        var eventObject = stored?.object ?? eventObject
        eventObject["metadata"]?["resourceVersion"] = version
        objects[resource, default: [:]][key] = stored
        let event = StoredEvent(resourceVersion: revision, type: eventType, object: eventObject, namespace: key.namespace)
        var log = events[resource, default: []]
        log.append(event)
        if log.count > eventWindow {
            let dropped = log.count - eventWindow
            oldestResumable[resource] = log[dropped - 1].resourceVersion
            log.removeFirst(dropped)
        }
        events[resource] = log
        for watcher in (watchers[resource] ?? [:]).values where watcher.namespace == nil || watcher.namespace == key.namespace {
            watcher.continuation.yield(event)
        }
        return eventObject
    }

    /// Forgets all past events: every resourceVersion before now is too old to watch from.
    func compact() {
        for resource in events.keys { events[resource] = [] }
        for resource in Set(objects.keys).union(events.keys) { oldestResumable[resource] = revision }
        listSnapshots = [:]
    }

    // MARK: Watches

    enum WatchStart {
        case expired
        case started(replay: [StoredEvent], live: AsyncStream<StoredEvent>, id: UUID, revision: Int)
    }

    /// Registers a watch and returns the events it missed, atomically, so none is lost or doubled.
    /// Without a version, the watch starts with an ADDED event for every current object.
    func startWatch(_ resource: ResourceKey, namespace: String?, from version: Int?) -> WatchStart {
        if watchesToExpire > 0 {
            watchesToExpire -= 1
            return .expired
        }
        var replay: [StoredEvent]
        if let version {
            if version < oldestResumable[resource, default: 0] { return .expired }
            replay = (events[resource] ?? []).filter { $0.resourceVersion > version && (namespace == nil || $0.namespace == namespace) }
        } else {
            replay = all(resource, namespace: namespace).map { key, stored in
                StoredEvent(
                    resourceVersion: Int(stored.object["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0,
                    type: "ADDED", object: stored.object, namespace: key.namespace)
            }
        }
        replay.sort { $0.resourceVersion < $1.resourceVersion }
        let (stream, continuation) = AsyncStream<StoredEvent>.makeStream()
        let id = UUID()
        watchers[resource, default: [:]][id] = Watcher(namespace: namespace, continuation: continuation)
        return .started(replay: replay, live: stream, id: id, revision: revision)
    }

    func stopWatch(_ resource: ResourceKey, id: UUID) {
        watchers[resource]?.removeValue(forKey: id)?.continuation.finish()
    }

    var openWatchCount: Int { watchers.values.reduce(0) { $0 + $1.count } }

    func saveSnapshot(_ token: String, revision: Int, items: [JSONValue]) { listSnapshots[token] = (revision, items) }
    /// A continue token is good for one page: reading it consumes it (the next page gets a new one).
    func takeSnapshot(_ token: String) -> (revision: Int, items: [JSONValue])? { listSnapshots.removeValue(forKey: token) }
}
