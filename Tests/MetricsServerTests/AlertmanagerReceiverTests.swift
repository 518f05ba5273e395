import Collector
import Foundation
import HTTPTransport
import KubeModel
import Logging
import MetricsServer
import TestSupport
import Testing

/// `POST /alertmanager/webhook` over real sockets (#21): the token, TLS client certificates,
/// size limits and malformed bodies, and what reaches the alert book.
@Suite struct AlertmanagerReceiverTests {
    final class Running: Sendable {
        let receiver: AlertmanagerReceiver
        let book: AlertBook
        let task: Task<Void, any Error>
        let scheme: String

        init(token: String? = "s3cret", tls: (identity: ServingIdentity, clientCAFile: String?)? = nil, idleTimeout: Duration = ListenerLimits.idleTimeout) async throws {
            let logger = Logger.quiet("receiver-test")
            book = AlertBook(store: MetricStore())
            let webhook: AlertWebhook
            if let token { webhook = AlertWebhook(token: { token }) } else { webhook = AlertWebhook(token: nil) }
            receiver = AlertmanagerReceiver(
                configuration: AlertmanagerReceiver.Configuration(
                    host: "127.0.0.1", port: 0, webhook: webhook, identity: tls?.identity,
                    clientCAFile: tls?.clientCAFile, idleTimeout: idleTimeout),
                book: book, logger: logger)
            scheme = tls == nil ? "http" : "https"
            let receiver = self.receiver
            task = Task { try await receiver.run() }
            _ = try await Poll.until { receiver.port != nil }
        }

        func post(_ body: Data, token: String? = "s3cret", path: String = AlertWebhook.path, client: HTTPClient = HTTPClient()) async throws -> HTTPResponse {
            var headers = [("Content-Type", "application/json")]
            if let token { headers.append(("Authorization", "Bearer \(token)")) }
            return try await client.send(HTTPRequest(method: "POST", url: "\(scheme)://127.0.0.1:\(receiver.port ?? 0)\(path)", headers: headers, body: body, timeout: .seconds(30)))
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    static func fixture(_ name: String) throws -> Data {
        try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/alertmanager/\(name)"))
    }

    /// A request head half-sent is not held forever: closed within the idle timeout.
    @Test func aHalfSentRequestIsClosed() async throws {
        let running = try await Running(idleTimeout: .seconds(1))
        #expect(try await HalfSentRequest.isClosed(port: try #require(running.receiver.port)))
        running.task.cancel()
        _ = try? await running.task.value
    }

    @Test func onlyTheTokenGetsAlertsIn() async throws {
        let running = try await Running()
        let firing = try Self.fixture("webhook-firing.json")
        let noToken = try await running.post(firing, token: nil)
        #expect(noToken.status == 401 && noToken.bodyText.contains("a bearer token is required"), "\(noToken.bodyText)")
        #expect(try await running.post(firing, token: "guess").status == 401)
        #expect(running.book.alerts.firing.isEmpty, "a refused webhook changes nothing")
        let accepted = try await running.post(firing)
        #expect(accepted.status == 200, "\(accepted.bodyText)")
        #expect(running.book.alerts.firing.keys.sorted() == ["259678c5d427d88e", "92c4615c6fdb3a8a"])
        #expect(try await running.post(try Self.fixture("webhook-resolved.json")).status == 200)
        #expect(running.book.alerts.firing.keys.sorted() == ["92c4615c6fdb3a8a"])
        await running.stop()
    }

    @Test func badBodiesAreRefusedWithTheReasonAndTheServerGoesOn() async throws {
        let running = try await Running()
        let malformed = try await running.post(Data(#"{"version":"4","alerts":[{"status":"firing"}]}"#.utf8))
        #expect(malformed.status == 400 && malformed.bodyText.hasPrefix("not an Alertmanager webhook payload: missing 'alerts.0."), "\(malformed.bodyText)")
        let tooLarge = try await running.post(Data(repeating: UInt8(ascii: " "), count: AlertWebhook.maximumBody + 1))
        #expect(tooLarge.status == 413, "\(tooLarge.bodyText)")
        #expect(try await running.post(Data(), path: "/other").status == 404)
        // Still serving, and nothing was taken in.
        #expect(try await running.post(try Self.fixture("webhook-firing.json")).status == 200)
        #expect(running.book.alerts.firing.count == 2)
        await running.stop()
    }

    @Test func withAClientCAOnlyCertificatesItSignedAreServed() async throws {
        let (identity, servingCA) = try ServingIdentity.selfSigned(names: ["localhost", "127.0.0.1"])
        let clients = try TestCertificateAuthority(commonName: "alertmanager clients")
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("clients-\(UUID().uuidString).pem")
        try (try clients.certificatePEM).write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }
        let running = try await Running(token: nil, tls: (identity, caFile.path))
        func client(_ certificate: TestCertificateAuthority.Issued?) -> HTTPClient {
            HTTPClient(
                configuration: HTTPClientConfiguration(
                    tls: TLSOptions(
                        certificateAuthority: .pem(Data(servingCA.utf8)), clientCertificate: certificate.map { .pem(Data($0.certificatePEM.utf8)) },
                        clientKey: certificate.map { .pem(Data($0.keyPEM.utf8)) }, insecureSkipVerify: true)))
        }
        let firing = try Self.fixture("webhook-firing.json")
        let anonymous = try? await running.post(firing, token: nil, client: client(nil))
        #expect(anonymous == nil, "the handshake fails without a client certificate")
        let stranger = try? await running.post(firing, token: nil, client: client(try TestCertificateAuthority(commonName: "other").issueClient(commonName: "am")))
        #expect(stranger == nil, "nor with one another CA signed")
        #expect(running.book.alerts.firing.isEmpty)
        let signed = try await running.post(firing, token: nil, client: client(try clients.issueClient(commonName: "alertmanager")))
        #expect(signed.status == 200)
        #expect(running.book.alerts.firing.count == 2)
        await running.stop()
    }
}
