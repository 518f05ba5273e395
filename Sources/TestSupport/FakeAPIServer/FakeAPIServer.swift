import Foundation
import Hummingbird
import KubeModel

/// An in-process apiserver double speaking the wire format captured in shared/k8s-wire, for any
/// group/version/resource it is told about: lists with a resourceVersion, watches that replay a
/// bounded window (410 beyond it) with bookmarks and timeouts, create/update/delete with the real
/// Status errors (404, 409 AlreadyExists/Conflict, 422), merge and JSON patches, server-side apply,
/// and the status and scale subresources. Tests can inject faults and read the request log.
public final class FakeAPIServer: Sendable {
    /// An object the double refuses (422), with the fields at fault.
    public struct Invalid: Error, Sendable {
        public var causes: [(field: String, message: String)]
        public init(_ causes: [(field: String, message: String)]) { self.causes = causes }
    }

    public struct Options: Sendable {
        public var security: TestServerSecurity
        public var resources: [FakeResource]
        /// Past events kept per resource for watches to resume from.
        public var eventWindow: Int
        public var bookmarkInterval: Duration
        /// Defaulting and validation on every write: return the object to store, or throw `Invalid`.
        public var admit: @Sendable (_ resource: FakeResource, _ object: JSONValue, _ old: JSONValue?) throws -> JSONValue

        public init(
            security: TestServerSecurity = .plain, resources: [FakeResource] = FakeResource.standard, eventWindow: Int = 1000,
            bookmarkInterval: Duration = .seconds(1),
            admit: @escaping @Sendable (FakeResource, JSONValue, JSONValue?) throws -> JSONValue = { _, object, _ in object }
        ) {
            self.security = security
            self.resources = resources
            self.eventWindow = eventWindow
            self.bookmarkInterval = bookmarkInterval
            self.admit = admit
        }
    }

    let state: FakeAPIState
    let options: Options
    private let server: TestHTTPServer

    public var url: String { server.url }

    public static func start(_ options: Options = Options()) async throws -> FakeAPIServer {
        let state = FakeAPIState(eventWindow: options.eventWindow)
        let handler = FakeAPIHandler(state: state, options: options)
        let server = try await TestHTTPServer.start(security: options.security) { request, _ in
            await handler.respond(to: request)
        }
        return FakeAPIServer(state: state, options: options, server: server)
    }

    private init(state: FakeAPIState, options: Options, server: TestHTTPServer) {
        self.state = state
        self.options = options
        self.server = server
    }

    public func stop() async {
        await server.stop()
    }

    // MARK: Test controls

    /// Every request so far, oldest first.
    public func requests() async -> [RecordedRequest] { await state.requests }
    public func clearRequests() async { await state.clearRequests() }

    /// The next `count` requests matching `matches` (by default: all but watches) fail with this
    /// status code, with the apiserver's Status body for it (500 InternalError, 429 with Retry-After,
    /// 409 Conflict, ...).
    public func failNext(_ count: Int, code: Int, retryAfterSeconds: Int? = nil, where matches: @escaping @Sendable (RecordedRequest) -> Bool = { !$0.isWatch }) async {
        let reason = [409: "Conflict", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"][code] ?? "Unknown"
        await state.addFault(.init(remaining: count, code: code, reason: reason, retryAfterSeconds: retryAfterSeconds, matches: matches))
    }

    /// Requests matching `matches` get no answer at all (a hung apiserver or network) until
    /// `stopHanging()`.
    public func hang(where matches: @escaping @Sendable (RecordedRequest) -> Bool) async { await state.addHang(matches) }
    public func stopHanging() async { await state.stopHanging() }

    /// Every watch is answered and ended at once, without a single event (a misbehaving proxy).
    public func endWatchesAtOnce(_ value: Bool = true) async { await state.setEndWatchesAtOnce(value) }

    /// Every watch stream is cut (the connection dropped) after this many events; nil stops it.
    public func dropWatches(afterEvents count: Int?) async { await state.setDropWatches(afterEvents: count) }

    /// Forgets the event history: watches from any earlier resourceVersion get 410 Expired.
    public func compact() async { await state.compact() }

    /// The next `count` watch requests get the 410 Expired ERROR event, as if their resourceVersion
    /// had been compacted away (a client that keeps up rarely sees a real one).
    public func expireNextWatches(_ count: Int = 1) async { await state.expireWatches(count) }

    public func setLatency(_ duration: Duration) async { await state.setLatency(duration) }

    public var openWatches: Int { get async { await state.openWatchCount } }

    /// The current resourceVersion (etcd revision).
    public var currentResourceVersion: Int { get async { await state.revision } }

    /// A stored object as JSON, or nil.
    public func object(group: String, plural: String, namespace: String, name: String) async -> JSONValue? {
        await state.stored(.init(group: group, plural: plural), .init(namespace: namespace, name: name))?.object
    }

    /// How many objects a resource holds.
    public func count(group: String, plural: String) async -> Int {
        await state.all(.init(group: group, plural: plural), namespace: nil).count
    }
}
