import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// One connection to the metrics API, as Hummingbird's server hands it over (after HummingbirdTLS's
/// handshake): NIO's HTTP/1 codec and `MetricsAPIHandler`, which answers on the event loop. The
/// HPA controller polls a handful of small GETs; answering them without a task and async
/// sequences per request is what makes the server fast (see `make bench-api`).
struct MetricsAPIChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let channel: any Channel
    }

    let server: MetricsHTTPServer

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(ListenerLimits.idleTimeout)))
            try pipeline.addHandler(MetricsAPIHandler(server: server))
            return Value(channel: channel)
        }
    }

    /// The connection lives in its handlers; this only waits for it to close (or closes it when
    /// the server stops waiting).
    func handle(value: Value, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await value.channel.closeFuture.get()
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}

/// Answers metrics API requests: health paths for anyone; every other path only for requests the
/// requestheader authentication accepts (unless authentication is skipped). Requests are answered
/// as they arrive, so pipelined ones are answered in order; each response is written as one
/// buffer (one TLS record) and flushed when the read is done. An admission review is the one
/// answer that is not made here: it runs off the event loop (`AdmissionReviews`), and requests
/// that come after it on the same connection wait for it, in order.
final class MetricsAPIHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    static let healthPaths: Set<Substring> = ["/healthz", "/livez", "/readyz"]
    static let healthy = MetricsAPIResponse(status: 200, body: Data("ok\n".utf8))
    static let notReady = MetricsAPIResponse(status: 503, body: Data("the collector has not synced its HPAs yet\n".utf8))

    static let admissionPath: Substring = "/validate-workload"
    /// Bodies are read only for the admission webhook, and only up to this size.
    static let maximumBody = 4 * 1024 * 1024 + 64 * 1024

    private let server: MetricsHTTPServer
    private var request: HTTPRequestHead?
    /// The request's body, gathered only for the admission webhook (elsewhere read and ignored).
    private var body: ByteBuffer?
    private var gathersBody = false
    private var bodyTooLarge = false
    /// Whether an admission review is being answered; requests read meanwhile wait in `waiting`.
    private var reviewing = false
    private var waiting: [(head: HTTPRequestHead, body: ByteBuffer?, bodyTooLarge: Bool)] = []
    /// Requests pipelined behind a review past this many close the connection.
    static let maximumWaiting = 16
    /// The client certificate's common name, read once per connection (nil inside: no certificate).
    private var commonName: String??

    init(server: MetricsHTTPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            body = nil
            bodyTooLarge = false
            gathersBody = server.reviews != nil && Self.split(head.uri).path == Self.admissionPath
        case .body(var part):
            guard gathersBody, !bodyTooLarge else { return }
            if (body?.readableBytes ?? 0) + part.readableBytes > Self.maximumBody {
                bodyTooLarge = true
                body = nil
            } else if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
        case .end:
            guard let head = request else { return }
            request = nil
            let received = body
            body = nil
            if reviewing {
                guard waiting.count < Self.maximumWaiting else { return context.close(promise: nil) }
                waiting.append((head, received, bodyTooLarge))
                return
            }
            respond(to: head, body: received, bodyTooLarge: bodyTooLarge, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    /// Malformed HTTP: a 400 and the connection closed, as Go's server does.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let answer = MetricsAPIResponse(status: 400, body: Data("malformed HTTP request: \(error)\n".utf8))
        context.writeAndFlush(wrapOutboundOut(Self.response(answer, contentType: "text/plain", keepAlive: false, head: false, allocator: context.channel.allocator)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            // The server is stopping. Requests are answered as they arrive, so none is in flight.
            context.close(promise: nil)
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            context.close(promise: nil)
        case ChannelEvent.inputClosed:
            // The client is done (Hummingbird's server allows half-closed connections, so NIO does
            // not close them by itself): every request was answered as it arrived, so close once
            // the answers are out. Left open, the aggregator's finished connections sat in
            // CLOSE-WAIT until the idle timeout (45 of them in the first 20 s of an initial sync).
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func respond(to head: HTTPRequestHead, body: ByteBuffer?, bodyTooLarge: Bool, context: ChannelHandlerContext) {
        let started = ContinuousClock.now
        let (path, query) = Self.split(head.uri)
        var trustProblem: String?
        if case .requestHeader(let authorities) = server.configuration.authentication { trustProblem = authorities.problem }
        if path == Self.admissionPath, let reviews = server.reviews {
            guard head.method == .POST else {
                return write(
                    MetricsAPI.status(405, reason: "MethodNotAllowed", "\(Self.admissionPath) takes an AdmissionReview by POST"),
                    contentType: "application/json", for: head, started: started, context: context)
            }
            guard !bodyTooLarge else {
                return write(
                    MetricsAPI.status(413, reason: "RequestEntityTooLarge", "the AdmissionReview is larger than \(Self.maximumBody) bytes"),
                    contentType: "application/json", for: head, started: started, context: context)
            }
            reviewing = true
            reviews.answer(body.map { Data($0.readableBytesView) } ?? Data(), on: context.eventLoop).assumeIsolated().whenSuccess { answer in
                self.write(answer, contentType: "application/json", for: head, started: started, context: context)
                context.flush()
                self.reviewing = false
                // What came meanwhile, in order, until the next review.
                while !self.reviewing, !self.waiting.isEmpty {
                    let next = self.waiting.removeFirst()
                    self.respond(to: next.head, body: next.body, bodyTooLarge: next.bodyTooLarge, context: context)
                }
                context.flush()
            }
            return
        }
        if Self.healthPaths.contains(path) {
            // Not ready while no caller could be authenticated.
            let answer = path == "/readyz" && (!server.isReady() || trustProblem != nil) ? Self.notReady : Self.healthy
            return write(answer, contentType: "text/plain", for: head, started: started, context: context)
        }
        if case .requestHeader(let authorities) = server.configuration.authentication {
            if let trustProblem {
                return write(
                    MetricsAPI.status(
                        401, reason: "Unauthorized",
                        "Unauthorized: the metrics API has no requestheader client CA, so it trusts no caller and refuses every request until it can read one: \(trustProblem)"),
                    contentType: "application/json", for: head, started: started, context: context)
            }
            let headers = head.headers.map { (name: $0.name, value: $0.value) }
            if case .failure(let refusal) = authorities.authentication.authenticate(commonName: clientCommonName(context), headers: headers) {
                server.logger.debug("refused a metrics API request", metadata: ["path": "\(path)", "reason": "\(refusal)"])
                return write(
                    MetricsAPI.status(401, reason: "Unauthorized", refusal.description), contentType: "application/json",
                    for: head, started: started, context: context)
            }
        }
        let request = MetricsAPIRequest(method: head.method.rawValue, path: String(path), query: Self.decodeQuery(query))
        write(server.api.respond(request, now: Date()), contentType: "application/json", for: head, started: started, context: context)
    }

    private func write(
        _ answer: MetricsAPIResponse, contentType: String, for head: HTTPRequestHead, started: ContinuousClock.Instant,
        context: ChannelHandlerContext
    ) {
        server.metrics?.record(code: answer.status, duration: ContinuousClock.now - started)
        let response = Self.response(
            answer, contentType: contentType, keepAlive: head.isKeepAlive, head: head.method == .HEAD,
            allocator: context.channel.allocator, http10: head.version == .http1_0)
        if head.isKeepAlive {
            context.write(wrapOutboundOut(response), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// An HTTP/1.1 response, status line to body, in one buffer. (An HTTP/1.0 client keeps the
    /// connection only when told so.)
    static func response(
        _ answer: MetricsAPIResponse, contentType: String, keepAlive: Bool, head: Bool, allocator: ByteBufferAllocator,
        http10: Bool = false
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 128 + answer.body.count)
        let status = HTTPResponseStatus(statusCode: answer.status)
        buffer.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\nContent-Type: \(contentType)\r\nContent-Length: \(answer.body.count)\r\n")
        buffer.writeString(!keepAlive ? "Connection: close\r\n\r\n" : http10 ? "Connection: keep-alive\r\n\r\n" : "\r\n")
        if !head { buffer.writeBytes(answer.body) }
        return buffer
    }

    private func clientCommonName(_ context: ChannelHandlerContext) -> String? {
        if let known = commonName { return known }
        let certificate = try? context.pipeline.syncOperations.nioSSL_peerCertificate()
        let name = certificate.flatMap(ClientCertificateAuthorities.commonName)
        commonName = .some(name)
        return name
    }

    /// `/path?query` → the path as sent and the raw query.
    static func split(_ uri: String) -> (path: Substring, query: Substring) {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (uri[...], "") }
        return (uri[..<mark], uri[uri.utf8.index(after: mark)...])
    }

    /// Query parameters as Go's `url.ParseQuery` reads them (the apiserver's side of the
    /// aggregator): `+` is a space, `%XX` a byte; the first of repeated names wins.
    static func decodeQuery(_ query: Substring) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(parts[0], plusIsSpace: true)
            if parameters[name] == nil { parameters[name] = parts.count > 1 ? PercentDecoding.decode(parts[1], plusIsSpace: true) : "" }
        }
        return parameters
    }
}
