import Foundation
import HTTPTransport
import KubeModel

public struct WatchOptions: Sendable {
    /// Resume after this version; nil (or "0") starts with ADDED events for every current object.
    public var resourceVersion: String?
    /// The server ends the stream after this long.
    public var timeoutSeconds: Int?
    public var labelSelector: String?
    public var fieldSelector: String?
    public var allowBookmarks: Bool

    public init(resourceVersion: String? = nil, timeoutSeconds: Int? = 300, labelSelector: String? = nil, fieldSelector: String? = nil, allowBookmarks: Bool = true) {
        self.resourceVersion = resourceVersion
        self.timeoutSeconds = timeoutSeconds
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.allowBookmarks = allowBookmarks
    }
}

extension KubeClient {
    /// Watches a resource. The stream ends when the server ends the watch; an ERROR event is
    /// thrown as its `KubeError` (`.expired` for 410: relist). Cancelling the task, or ending
    /// the iteration, closes the connection.
    public func watch<T: APIObject>(_ type: T.Type = T.self, namespace: String? = nil, options: WatchOptions = WatchOptions()) async throws -> AsyncThrowingStream<WatchEvent<T>, any Error> {
        let query: [(String, String?)] = [
            ("watch", "1"), ("resourceVersion", options.resourceVersion), ("allowWatchBookmarks", options.allowBookmarks ? "true" : nil),
            ("timeoutSeconds", options.timeoutSeconds.map(String.init)), ("labelSelector", options.labelSelector), ("fieldSelector", options.fieldSelector),
        ]
        // The apiserver ends a watch after timeoutSeconds; a connection that stays open but silent
        // past that (half-open: a dead peer, a proxy) is cut off a little later: a fifth more,
        // between 10 s (a busy apiserver, or a busy us, may end a short watch late) and 30 s.
        let deadline = options.timeoutSeconds.map { Duration.seconds($0) + .seconds(min(30, max(10, $0 / 5))) }
        let response = try await stream(T.resource.path(namespace: namespace), query: query, timeout: deadline)
        let lines = response.lines
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let decoder = JSONDecoder()
                    for try await line in lines {
                        let decoded: WatchLine<T>
                        do {
                            decoded = try decoder.decode(WatchLine<T>.self, from: line)
                        } catch {
                            throw KubeError.decoding("cannot read a \(T.resource) watch event: \(error)")
                        }
                        let event: WatchEvent<T>
                        switch decoded.event {
                        case .success(let received): event = received
                        case .failure(let error):
                            throw KubeError(code: Int(error.status.code ?? 500), body: (try? JSONEncoder().encode(error.status)) ?? Data())
                        }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch let error as HTTPError {
                    continuation.finish(throwing: KubeError.transport(error))
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
