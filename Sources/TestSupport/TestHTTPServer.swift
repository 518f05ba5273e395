import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// How a test server speaks: plain HTTP, TLS, or TLS requiring a client certificate from a CA.
public enum TestServerSecurity: Sendable {
    case plain
    case tls(certificatePEM: String, keyPEM: String)
    case mutualTLS(certificatePEM: String, keyPEM: String, clientCAPEM: String)
}

/// A Hummingbird server on a free loopback port, answering with one handler. Stops on `stop()`.
public final class TestHTTPServer: Sendable {
    public typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    public let port: Int
    public let scheme: String
    public let host: String
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    public var url: String { "\(scheme)://\(host):\(port)" }

    /// On `host` (default loopback), a free port.
    public static func start(security: TestServerSecurity = .plain, host: String = "127.0.0.1", handler: @escaping Handler) async throws -> TestHTTPServer {
        let server: HTTPServerBuilder
        let scheme: String
        switch security {
        case .plain:
            server = .http1()
            scheme = "http"
        case .tls(let certificate, let key):
            server = try .tls(.http1(), tlsConfiguration: try tlsConfiguration(certificate, key, clientCA: nil))
            scheme = "https"
        case .mutualTLS(let certificate, let key, let clientCA):
            server = try .tls(.http1(), tlsConfiguration: try tlsConfiguration(certificate, key, clientCA: clientCA))
            scheme = "https"
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let logger = Logger.quiet("test-server")
        let app = Application(
            // A handler still running at `stop()` (a hung answer) is cancelled then.
            responder: CallbackResponder { request, context in try await cancelWhenGracefulShutdown { try await handler(request, context) } },
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw TestServerError.didNotStart
        }
        return TestHTTPServer(port: port, scheme: scheme, host: host, task: task, group: group)
    }

    private init(port: Int, scheme: String, host: String, task: Task<Void, any Error>, group: ServiceGroup) {
        self.port = port
        self.scheme = scheme
        self.host = host
        self.task = task
        self.group = group
    }

    /// Stops accepting and closes open connections (streams included). A graceful shutdown
    /// first: cancelling a server that has accepted connections it has not yet handed out traps
    /// in NIO ("Deinited NIOAsyncWriter without calling finish()"). It closes the listener, hands
    /// out what was accepted, cancels running handlers and ends connections after their answer;
    /// what still lingers a second later (a TLS close waiting for the client's close_notify) is
    /// cancelled.
    public func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        let grace = Task {
            try? await Task.sleep(for: .seconds(1))
            task.cancel()
        }
        _ = try? await task.value
        grace.cancel()
    }

    private static func tlsConfiguration(_ certificate: String, _ key: String, clientCA: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem)))
        if let clientCA {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCA.utf8)))
        }
        return configuration
    }
}

public enum TestServerError: Error {
    case didNotStart
}
