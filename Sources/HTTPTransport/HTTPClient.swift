import Foundation
import Synchronization

/// An async HTTP client over libcurl: TLS from files or PEM bytes, bearer tokens, timeouts,
/// cancellation, keep-alive connection reuse, and streamed bodies.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let tokenFile: CredentialFile?
    private let basicAuthFile: CredentialFile?
    private let connections = Atomic<Int>(0)

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
        if case .file(let path) = configuration.bearerToken { tokenFile = CredentialFile(path: path, what: "bearer token file") } else { tokenFile = nil }
        basicAuthFile = configuration.basicAuthFile.map { CredentialFile(path: $0, what: "basic auth file") }
    }

    private let live = LiveCount()

    /// This client's requests still holding their curl handle and buffers (0 when idle: leak checks).
    public var transfersAlive: Int { live.value.load(ordering: .relaxed) }

    /// New connections (so TLS handshakes, for https) this client has opened.
    public var connectionsOpened: Int { connections.load(ordering: .relaxed) }

    /// Sends a request and returns the whole response. Any HTTP status is a response; only a
    /// failure to get one throws (`HTTPError`, or `CancellationError` when the task is cancelled).
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try makeTransfer(request)
        let engine = CurlEngine.shared
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.waiter = .buffered(continuation)
                engine.start(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
    }

    /// Sends a request and returns as soon as status and headers are in; the body follows as a
    /// stream. Stopping the iteration or cancelling the task aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamResponse {
        let transfer = try makeTransfer(request)
        let engine = CurlEngine.shared
        let body = transfer.streamBody()
        body.onTermination = { _ in engine.cancel(transfer) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.waiter = .streaming(head: continuation, body: body)
                engine.start(transfer)
            }
        } onCancel: {
            engine.cancel(transfer)
        }
    }

    private func makeTransfer(_ request: HTTPRequest) throws(HTTPError) -> Transfer {
        var authorization: String?
        switch configuration.bearerToken {
        case .value(let token): authorization = "Bearer \(token)"
        case .file: if let tokenFile { authorization = "Bearer \(try tokenFile.contents())" }
        case nil: break
        }
        if let basicAuthFile {
            let credentials = try basicAuthFile.contents()
            guard credentials.contains(":") else { throw .credentials("basic auth file \(basicAuthFile.path) must hold user:password on one line") }
            authorization = "Basic \(Data(credentials.utf8).base64EncodedString())"
        }
        let counter = self
        return try Transfer(request, configuration: configuration, authorization: authorization, live: live) { opened in
            counter.connections.add(opened, ordering: .relaxed)
        }
    }
}
