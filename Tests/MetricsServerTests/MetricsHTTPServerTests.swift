import Collector
import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Logging
import MetricsServer
import Prometheus
import Synchronization
import TestSupport
import Testing

/// The metrics API over real TLS sockets, with the aggregator's client certificate (or not).
@Suite struct MetricsHTTPServerTests {
    final class Running: Sendable {
        let server: MetricsHTTPServer
        let task: Task<Void, any Error>
        let servingCA: String
        let requestheaderCA: TestCertificateAuthority
        let registry: PrometheusCollectorRegistry

        init(
            store: MetricStore, authentication skip: Bool = false, allowedNames: [String] = ["front-proxy-client"],
            authorities given: ClientCertificateAuthorities? = nil, requestheaderCA: TestCertificateAuthority? = nil,
            admission: (@Sendable (Data) -> (status: Int, body: Data))? = nil, admissionDeadline: Duration = .milliseconds(1_500)
        ) async throws {
            let (identity, caPEM) = try ServingIdentity.selfSigned(names: ["hpa-operator.hpa-operator-system.svc"])
            servingCA = caPEM
            self.requestheaderCA = try requestheaderCA ?? TestCertificateAuthority(commonName: "front-proxy CA")
            registry = PrometheusCollectorRegistry()
            let authorities = try given ?? ClientCertificateAuthorities(pem: try self.requestheaderCA.certificatePEM, authentication: RequestHeaderAuthentication(allowedNames: allowedNames))
            let authentication: MetricsHTTPServer.Authentication = skip ? .skip : .requestHeader(authorities)
            let logger = Logger.quiet("metrics-api-test")
            server = MetricsHTTPServer(
                api: MetricsAPI(store: store),
                configuration: MetricsHTTPServer.Configuration(
                    host: "127.0.0.1", port: 0, identity: identity, authentication: authentication,
                    admission: admission, admissionDeadline: admissionDeadline),
                metrics: MetricsAPIMetrics(registry: registry), isReady: { true }, logger: logger)
            let server = self.server
            task = Task { try await server.run() }
            _ = try await Poll.until { server.port != nil }
        }

        var url: String { "https://127.0.0.1:\(server.port ?? 0)" }

        /// A client trusting the serving CA, presenting `certificate` if given.
        func client(_ certificate: TestCertificateAuthority.Issued? = nil) -> HTTPClient {
            HTTPClient(
                configuration: HTTPClientConfiguration(
                    tls: TLSOptions(
                        certificateAuthority: .pem(Data(servingCA.utf8)),
                        clientCertificate: certificate.map { .pem(Data($0.certificatePEM.utf8)) }, clientKey: certificate.map { .pem(Data($0.keyPEM.utf8)) })))
        }

        func get(_ client: HTTPClient, _ path: String, headers: [String: String] = [:]) async throws -> HTTPResponse {
            try await client.send(HTTPRequest(url: url + path, headers: headers.map { ($0.key, $0.value) }, timeout: hangBound))
        }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }
    }

    static let aggregatorHeaders = ["X-Remote-User": "system:kube-aggregator", "X-Remote-Group": "system:masters"]

    /// Fail closed: while the requestheader CA cannot be read, every request is refused with the
    /// reason and /readyz is not ready; once the ConfigMap is there, its CA, allowed names and
    /// header names all apply (a CN it does not list is refused, though the CA signed it).
    @Test func withoutTheRequestheaderCANothingIsServedAndTheConfigMapIsFollowed() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let quiet = Logger.quiet("ca")
        let authorities = try ClientCertificateAuthorities()
        let refresher = ClientCARefresher(source: .configMap(client), authorities: authorities, logger: quiet)
        await #expect(throws: (any Error).self) { try await refresher.refresh() }
        let requestheaderCA = try TestCertificateAuthority(commonName: "front-proxy CA")
        let running = try await Running(store: MetricStore(), authorities: authorities, requestheaderCA: requestheaderCA)
        let aggregator = running.client(try requestheaderCA.issueClient(commonName: "front-proxy-client"))
        // No certificate verifies without a CA (the handshake fails); a caller without one is told why.
        let unverified = try? await running.get(aggregator, "/apis/custom.metrics.k8s.io/v1beta2", headers: Self.aggregatorHeaders)
        #expect(unverified == nil || unverified?.status == 401)
        let refused = try await running.get(running.client(), "/apis/custom.metrics.k8s.io/v1beta2", headers: Self.aggregatorHeaders)
        #expect(refused.status == 401)
        #expect(refused.bodyText.contains("no requestheader client CA") && refused.bodyText.contains("extension-apiserver-authentication"), "\(refused.bodyText)")
        #expect(try await running.get(running.client(), "/readyz").status == 503)
        #expect(try await running.get(running.client(), "/healthz").status == 200)

        _ = try await client.create(
            ConfigMap(
                metadata: ObjectMeta(name: ClientCARefresher.configMapName, namespace: ClientCARefresher.configMapNamespace),
                data: [
                    "requestheader-client-ca-file": try requestheaderCA.certificatePEM,
                    "requestheader-allowed-names": #"["front-proxy-client"]"#,
                    "requestheader-username-headers": #"["X-Remote-User"]"#,
                ]))
        try await refresher.refresh()
        #expect(try await running.get(aggregator, "/apis/custom.metrics.k8s.io/v1beta2", headers: Self.aggregatorHeaders).status == 200)
        #expect(try await running.get(running.client(), "/readyz").status == 200)
        let stranger = running.client(try requestheaderCA.issueClient(commonName: "someone-else"))
        let strangerAnswer = try await running.get(stranger, "/apis/custom.metrics.k8s.io/v1beta2", headers: Self.aggregatorHeaders)
        #expect(strangerAnswer.status == 401 && strangerAnswer.bodyText.contains("someone-else"))
        await running.stop()
        await apiserver.stop()
    }

    /// A certificate the CA signed for serving, not for clients, does not log in.
    @Test func aCertificateWithoutClientAuthIsRefused() async throws {
        let running = try await Running(store: MetricStore())
        let serving = try running.requestheaderCA.issueServer(dnsNames: ["front-proxy-client"])
        let answer = try? await running.get(running.client(serving), "/apis/custom.metrics.k8s.io/v1beta2", headers: Self.aggregatorHeaders)
        #expect(answer?.status != 200, "a serverAuth-only certificate was accepted")
        await running.stop()
    }

    @Test func theAggregatorsCertificateIsTheOnlyWayIn() async throws {
        let running = try await Running(store: await Values.store(at: Date()))
        let aggregator = try running.requestheaderCA.issueClient(commonName: "front-proxy-client")
        let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dorders%2Ctype%3Dprometheus"

        // Every captured request, with its path, query and headers, through the aggregator's connection.
        let trusted = running.client(aggregator)
        for request in try CapturedRequest.all() {
            var target = request.path
            if !request.query.isEmpty {
                target += "?" + request.flatQuery.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            }
            let response = try await running.get(trusted, target, headers: request.headers)
            #expect(response.status == 200, "\(request.path): \(response.bodyText)")
        }
        let answer = try await running.get(trusted, path, headers: Self.aggregatorHeaders)
        #expect(answer.header("Content-Type") == "application/json")
        #expect(answer.bodyText.contains(#""value":"45""#))

        // No certificate, even with forged identity headers.
        let anonymous = running.client()
        let forged = try await running.get(anonymous, path, headers: Self.aggregatorHeaders)
        #expect(forged.status == 401)
        let status = try JSONSerialization.jsonObject(with: forged.body) as? [String: Any]
        #expect(status?["kind"] as? String == "Status")
        #expect(status?["reason"] as? String == "Unauthorized")
        #expect(status?["code"] as? Int == 401)
        #expect((status?["message"] as? String)?.contains("no client certificate") == true)

        // A certificate from the right CA with a common name that is not allowed.
        let stranger = try running.requestheaderCA.issueClient(commonName: "someone-else")
        let wrongName = try await running.get(running.client(stranger), path, headers: Self.aggregatorHeaders)
        #expect(wrongName.status == 401)
        #expect(wrongName.bodyText.contains("'someone-else' is not in --requestheader-allowed-names"))

        // The right certificate but no user header.
        #expect(try await running.get(trusted, path).status == 401)

        // A certificate from another CA: refused during the handshake.
        let impostor = try TestCertificateAuthority(commonName: "other CA").issueClient(commonName: "front-proxy-client")
        do {
            let response = try await running.get(running.client(impostor), path, headers: Self.aggregatorHeaders)
            #expect(response.status == 401)
        } catch {
            #expect(error is HTTPError)
        }

        // Health stays open.
        for health in ["/healthz", "/livez", "/readyz"] {
            #expect(try await running.get(anonymous, health).status == 200)
        }

        // Requests are counted by code on the plain metrics port's registry.
        let text = running.registry.emitToString()
        #expect(text.contains(#"hpa_operator_metrics_api_requests_total{code="200"}"#))
        #expect(text.contains(#"hpa_operator_metrics_api_requests_total{code="401"}"#))
        #expect(text.contains("hpa_operator_metrics_api_request_duration_seconds_bucket"))
        await running.stop()
    }

    @Test func skippedAuthenticationServesAnyone() async throws {
        let running = try await Running(store: await Values.store(at: Date()), authentication: true)
        let response = try await running.get(running.client(), "/apis/custom.metrics.k8s.io/v1beta2")
        #expect(response.status == 200)
        #expect(response.bodyText.contains("pods/requests_per_second"))
        await running.stop()
    }

    /// Raw HTTP/1.1 over TLS (openssl s_client), as clients other than Go's may speak it.
    @Test func pipelinedHeadCloseAndMalformedRequests() async throws {
        let running = try await Running(store: await Values.store(at: Date()), authentication: true)
        let port = try #require(running.server.port)
        func exchange(_ requests: String) async throws -> String {
            // -quiet reads the answers until the server closes the connection; `timeout` exits 124
            // if it had to end a connection the server kept open.
            let result = try await Tool.run("/bin/bash", ["-c", "timeout 10 openssl s_client -quiet -connect 127.0.0.1:\(port) 2>/dev/null"], stdin: requests)
            #expect(result.status != 124, "the server did not close the connection")
            return result.stdout
        }
        // Three requests in one write: answered in order; `+` in a query is a space, as Go reads it;
        // HEAD gets headers only; `Connection: close` ends the connection after its answer.
        let answers = try await exchange(
            "GET /apis/external.metrics.k8s.io/v1beta1/namespaces/default/queue_depth?labelSelector=queue%3Dorders,type+in+(prometheus) HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods/%2A/requests_per_second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let parts = answers.components(separatedBy: "HTTP/1.1 ").dropFirst()
        #expect(parts.count == 3, "\(answers)")
        let (external, head, pods) = (parts[1], parts[2], parts[3])
        #expect(external.hasPrefix("200 OK\r\n") && external.contains("Content-Type: application/json") && external.contains(#""queue":"orders""#))
        #expect(head == "200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n")
        #expect(pods.hasPrefix("200 OK\r\n") && pods.contains("Connection: close\r\n") && pods.contains("d-pods-2"))

        // Not HTTP at all: 400, and the connection is closed.
        let malformed = try await exchange("NOT HTTP\r\n\r\n")
        #expect(malformed.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && malformed.contains("Connection: close\r\n"), "\(malformed)")
        await running.stop()
    }

    /// A client that closes its side is closed at once, not left in CLOSE-WAIT until the idle
    /// timeout (seen on the real control plane: the aggregator's finished connections piled up).
    @Test func aConnectionTheClientClosedIsClosed() async throws {
        let running = try await Running(store: await Values.store(at: Date()), authentication: true)
        let port = try #require(running.server.port)
        // Without -quiet (which ignores end of input), s_client ends the connection when its input ends.
        let result = try await Tool.run(
            "/bin/bash", ["-c", "printf 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:\(port) >/dev/null 2>&1; echo $?"])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "124")
        let lingering = { () async throws -> String in
            try await Tool.run("/bin/bash", ["-c", "ss -Htn state close-wait '( sport = :\(port) )' | wc -l"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Well inside the 120 s idle timeout that closed them before.
        let closed = try await Poll.until { try await lingering() == "0" }
        let left = (try? await lingering()) ?? "?"
        #expect(closed, "connections left in CLOSE-WAIT: \(left)")
        await running.stop()
    }

    /// The admission webhook is served on the secure port to the apiserver, which calls it
    /// without the aggregator's client certificate; the body reaches the webhook whole; other
    /// methods get 405 and oversized bodies 413, unread.
    @Test func theAdmissionWebhookIsServedWithoutTheAggregatorsCertificate() async throws {
        let received = Mutex<[Int]>([])
        let running = try await Running(store: MetricStore()) { body in
            received.withLock { $0.append(body.count) }
            return (200, Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true}}"#.utf8))
        }
        let body = Data(repeating: UInt8(ascii: "x"), count: 300_000)
        let answer = try await running.client().send(
            HTTPRequest(
                method: "POST", url: running.url + "/validate-workload",
                headers: [("Content-Type", "application/json")], body: body, timeout: .seconds(30)))
        #expect(answer.status == 200 && answer.bodyText.contains(#""allowed":true"#))
        #expect(received.withLock { $0 } == [300_000])
        #expect(try await running.get(running.client(), "/validate-workload").status == 405)
        let huge = try await running.client().send(
            HTTPRequest(
                method: "POST", url: running.url + "/validate-workload",
                body: Data(count: 5 * 1024 * 1024), timeout: .seconds(60)))
        #expect(huge.status == 413)
        #expect(received.withLock { $0 }.count == 1)
        // The metrics API itself still wants the aggregator's certificate.
        #expect(try await running.get(running.client(), "/apis/custom.metrics.k8s.io/v1beta2").status == 401)
        await running.stop()
    }

    /// Reviews run off the event loops: while two reviews hang (as many as there are event loops
    /// here), health checks and another review are answered; the hanging ones get 503 at the
    /// deadline (the webhook's failurePolicy decides), and their threads are back once they end.
    @Test func aHangingReviewStallsNeitherHealthNorOtherReviews() async throws {
        let release = DispatchSemaphore(value: 0)
        let hanging = Mutex(0)
        let allowed = Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true}}"#.utf8)
        let running = try await Running(
            store: MetricStore(),
            admission: { body in
                if body == Data("hang".utf8) {
                    hanging.withLock { $0 += 1 }
                    release.wait()
                    hanging.withLock { $0 -= 1 }
                }
                return (200, allowed)
            }, admissionDeadline: .milliseconds(500))
        func review(_ body: String) async throws -> HTTPResponse {
            try await running.client().send(HTTPRequest(method: "POST", url: running.url + "/validate-workload", body: Data(body.utf8), timeout: .seconds(60)))
        }
        let slow = (0..<2).map { _ in Task { try await review("hang") } }
        #expect(try await Poll.until { hanging.withLock { $0 } == 2 })
        #expect(try await running.get(running.client(), "/healthz").status == 200)
        let other = try await review("{}")
        #expect(other.status == 200 && other.body == allowed)
        for task in slow {
            let answer = try await task.value
            #expect(answer.status == 503 && answer.bodyText.contains("took longer than 0.5 seconds"), "\(answer.bodyText)")
        }
        // Still hanging after their answers: released, they end.
        #expect(hanging.withLock { $0 } == 2)
        release.signal()
        release.signal()
        #expect(try await Poll.until { hanging.withLock { $0 } == 0 })
        #expect(try await review("{}").status == 200)
        await running.stop()
    }

    @Test func servingCertificateFilesAreReReadWhenTheyChange() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("serving-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("tls.crt").path
        let key = directory.appendingPathComponent("tls.key").path
        let first = try TestCertificateAuthority(commonName: "first CA")
        let second = try TestCertificateAuthority(commonName: "second CA")
        func install(_ authority: TestCertificateAuthority) throws {
            let issued = try authority.issueServer()
            try issued.certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
            try issued.keyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        }
        try install(first)
        let logger = Logger.quiet("metrics-api-test")
        let server = MetricsHTTPServer(
            api: MetricsAPI(store: MetricStore()),
            configuration: MetricsHTTPServer.Configuration(
                host: "127.0.0.1", port: 0, identity: try ServingIdentity(certificateFile: certificate, keyFile: key),
                authentication: .skip),
            metrics: nil, isReady: { true }, logger: logger)
        let task = Task { try await server.run() }
        _ = try await Poll.until { server.port != nil }
        func trusting(_ authority: TestCertificateAuthority) throws -> HTTPClient {
            HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(certificateAuthority: .pem(Data(try authority.certificatePEM.utf8)))))
        }
        // Each request on a new connection, so each one sees the certificate served at its handshake.
        let request = HTTPRequest(url: "https://127.0.0.1:\(server.port ?? 0)/healthz", headers: [("Connection", "close")])
        #expect(try await trusting(first).send(request).status == 200)
        try await Task.sleep(for: .milliseconds(1100))  // a new modification time
        try install(second)
        #expect(try await trusting(second).send(request).status == 200)
        await #expect(throws: HTTPError.self) { _ = try await trusting(first).send(request) }
        task.cancel()
        _ = try? await task.value
    }

    @Test func unreadableCertificateFilesAreClearErrors() throws {
        #expect(throws: (any Error).self) { try ServingIdentity(certificateFile: "/nonexistent/tls.crt", keyFile: "/nonexistent/tls.key") }
        do {
            _ = try ServingIdentity(certificateFile: "/etc/hostname", keyFile: "/etc/hostname")
            Issue.record("a file without a PEM certificate was accepted")
        } catch {
            #expect("\(error)" == "--tls-cert-file /etc/hostname holds no PEM certificate")
        }
    }
}
