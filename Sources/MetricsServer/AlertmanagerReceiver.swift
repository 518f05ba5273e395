import Collector
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// `POST /alertmanager/webhook`: Alertmanager's webhooks into the alert book. Plain HTTP, or
/// HTTPS with the metrics API's serving identity; authenticated by a bearer token, a TLS client
/// certificate signed by a given CA, or both.
public final class AlertmanagerReceiver: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var webhook: AlertWebhook
        /// nil: plain HTTP.
        public var identity: ServingIdentity?
        /// With `identity`: clients must present a certificate this CA (PEM file) signed.
        public var clientCAFile: String?
        /// A connection that sends no complete request part (a head half-sent, say) for this long
        /// is closed (`ListenerLimits`).
        public var idleTimeout: Duration

        public init(
            host: String, port: Int, webhook: AlertWebhook, identity: ServingIdentity? = nil, clientCAFile: String? = nil,
            idleTimeout: Duration = ListenerLimits.idleTimeout
        ) {
            self.host = host
            self.port = port
            self.webhook = webhook
            self.identity = identity
            self.clientCAFile = clientCAFile
            self.idleTimeout = idleTimeout
        }
    }

    let configuration: Configuration
    let book: AlertBook
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)

    public init(configuration: Configuration, book: AlertBook, logger: Logger) {
        self.configuration = configuration
        self.book = book
        self.logger = logger
    }

    /// The bound port, once listening (useful with port 0).
    public var port: Int? { boundPort.withLock { $0 } }

    public func run() async throws {
        let router = Router()
        router.post(RouterPath(String(AlertWebhook.path.dropFirst()))) { [configuration, book, logger] request, _ -> Response in
            let agent = request.headers[.userAgent] ?? "?"
            if let refusal = configuration.webhook.refusal(authorization: request.headers[.authorization]) {
                logger.warning("refused an Alertmanager webhook", metadata: ["status": "\(refusal.status)", "reason": "\(refusal.reason)", "user-agent": "\(agent)"])
                return Self.answer(refusal.status, refusal.reason)
            }
            var body: Data?
            do {
                body = Data(try await request.body.collect(upTo: AlertWebhook.maximumBody).readableBytesView)
            } catch is NIOTooManyBytesError {
                body = nil
            } catch {
                return Self.answer(400, "cannot read the body: \(error)")
            }
            switch configuration.webhook.alerts(in: body) {
            case .success(let alerts):
                book.received(alerts, now: Date())
                logger.debug("Alertmanager webhook", metadata: ["alerts": "\(alerts.count)", "firing": "\(alerts.filter(\.firing).count)"])
                return Self.answer(200, "received \(alerts.count) alerts")
            case .failure(let refusal):
                logger.warning("refused an Alertmanager webhook", metadata: ["status": "\(refusal.status)", "reason": "\(refusal.reason)", "user-agent": "\(agent)"])
                return Self.answer(refusal.status, refusal.reason)
            }
        }
        let server: HTTPServerBuilder
        let http1 = HTTP1Channel.Configuration(idleTimeout: TimeAmount(configuration.idleTimeout))
        if let identity = configuration.identity {
            var tls = identity.tlsConfiguration(verifyClients: false)
            if let clientCAFile = configuration.clientCAFile {
                tls.certificateVerification = .noHostnameVerification
                tls.trustRoots = .file(clientCAFile)
            }
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } else {
            server = .http1(configuration: http1)
        }
        // Hummingbird reports a cancelled server as errors; a failure to bind surfaces from run().
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: router, server: server,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { [weak self, logger, configuration] channel in
                let port = channel.localAddress?.port
                self?.boundPort.withLock { $0 = port }
                logger.info(
                    "receiving Alertmanager webhooks",
                    metadata: [
                        "address": "\(configuration.host):\(port ?? 0)\(AlertWebhook.path)", "tls": "\(configuration.identity != nil)",
                        "client-certificates": "\(configuration.clientCAFile != nil)",
                    ])
            }, logger: quiet)
        do {
            try await app.run()
        } catch {
            if Task.isCancelled { return }
            let reason = "\(error)".contains("Address already in use") ? "address already in use (is another process using the port?)" : "\(error)"
            throw MetricsServerError("cannot serve the Alertmanager receiver on \(configuration.host):\(configuration.port): \(reason)")
        }
    }

    private static func answer(_ status: Int, _ text: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status), headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
