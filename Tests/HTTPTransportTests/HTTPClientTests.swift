import Foundation
import HTTPTransport
import Synchronization
import TestSupport
import Testing

@Suite("HTTP client over libcurl")
struct HTTPClientTests {
    @Test func requestAndResponse() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let response = try await client.send(HTTPRequest(method: "POST", url: server.url + "/things?status=201", body: Data("hello".utf8)))
        #expect(response.status == 201)
        #expect(response.bodyText == "POST /things auth= body=hello")
        #expect(response.header("x-echo") == "yes")
        let patch = try await client.send(HTTPRequest(method: "PATCH", url: server.url + "/p", headers: [("Content-Type", "application/merge-patch+json")], body: Data("{}".utf8)))
        #expect(patch.bodyText == "PATCH /p auth= body={}")
        let get = try await client.send(HTTPRequest(url: server.url + "/missing?status=404"))
        #expect(get.status == 404)
    }

    @Test func bearerTokensStaticAndFromARotatingFile() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let fixed = HTTPClient(configuration: HTTPClientConfiguration(bearerToken: .value("abc")))
        #expect(try await fixed.send(HTTPRequest(url: server.url + "/")).bodyText.contains("auth=Bearer abc"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try Data("first\n".utf8).write(to: file)
        let rotating = HTTPClient(configuration: HTTPClientConfiguration(bearerToken: .file(file.path)))
        #expect(try await rotating.send(HTTPRequest(url: server.url + "/")).bodyText.contains("auth=Bearer first"))
        try Data("second-token".utf8).write(to: file)
        #expect(try await rotating.send(HTTPRequest(url: server.url + "/")).bodyText.contains("auth=Bearer second-token"))
        try FileManager.default.removeItem(at: file)
        await #expect(throws: HTTPError.credentials("cannot read bearer token file \(file.path)")) {
            try await rotating.send(HTTPRequest(url: server.url + "/"))
        }
    }

    @Test func connectionsAreReusedOverTLS() async throws {
        let ca = try TestCertificateAuthority()
        let serving = try ca.issueServer()
        let server = try await TestHTTPServer.start(security: .tls(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM), handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(certificateAuthority: .pem(Data(try ca.certificatePEM.utf8)))))
        for index in 0..<200 {
            let response = try await client.send(HTTPRequest(method: "PUT", url: server.url + "/item/\(index)", body: Data("\(index)".utf8)))
            #expect(response.status == 200)
        }
        #expect(client.connectionsOpened == 1)
    }

    @Test func tlsVerificationFailsWithoutTheCAAndPassesWhenSkipped() async throws {
        let ca = try TestCertificateAuthority()
        let serving = try ca.issueServer()
        let server = try await TestHTTPServer.start(security: .tls(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM), handler: echoHandler)
        defer { Task { await server.stop() } }
        do {
            _ = try await HTTPClient().send(HTTPRequest(url: server.url + "/"))
            Issue.record("expected a verification failure")
        } catch let error as HTTPError {
            guard case .tlsVerificationFailed(let host, let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(host == "127.0.0.1")
            #expect(reason.contains("certificate"))
            #expect(error.description.hasPrefix("TLS verification of 127.0.0.1 failed: "))
        }
        let insecure = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(insecureSkipVerify: true)))
        #expect(try await insecure.send(HTTPRequest(url: server.url + "/")).status == 200)
        // A CA file works like PEM bytes.
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem")
        try Data(try ca.certificatePEM.utf8).write(to: caFile)
        let fromFile = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(certificateAuthority: .file(caFile.path))))
        #expect(try await fromFile.send(HTTPRequest(url: server.url + "/")).status == 200)
    }

    @Test func mutualTLS() async throws {
        let ca = try TestCertificateAuthority()
        let serving = try ca.issueServer()
        let server = try await TestHTTPServer.start(
            security: .mutualTLS(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM, clientCAPEM: try ca.certificatePEM), handler: echoHandler)
        defer { Task { await server.stop() } }
        let trust = TLSOptions.Source.pem(Data(try ca.certificatePEM.utf8))
        let user = try ca.issueClient(commonName: "hpa-operator")
        let good = HTTPClient(
            configuration: HTTPClientConfiguration(
                tls: TLSOptions(
                    certificateAuthority: trust, clientCertificate: .pem(Data(user.certificatePEM.utf8)), clientKey: .pem(Data(user.keyPEM.utf8)))))
        #expect(try await good.send(HTTPRequest(url: server.url + "/")).status == 200)

        let other = try TestCertificateAuthority(commonName: "someone else's CA").issueClient(commonName: "intruder")
        let wrong = HTTPClient(
            configuration: HTTPClientConfiguration(
                tls: TLSOptions(
                    certificateAuthority: trust, clientCertificate: .pem(Data(other.certificatePEM.utf8)), clientKey: .pem(Data(other.keyPEM.utf8)))))
        for client in [wrong, HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(certificateAuthority: trust)))] {
            do {
                _ = try await client.send(HTTPRequest(url: server.url + "/"))
                Issue.record("expected the server to refuse the client")
            } catch let error as HTTPError {
                guard case .tls(let host, _) = error else {
                    Issue.record("not a TLS error: \(error)")
                    continue
                }
                #expect(host == "127.0.0.1")
            }
        }
    }

    @Test func connectionRefusedNamesHostAndPort() async throws {
        // Bind and close a server to get a port nothing listens on.
        let server = try await TestHTTPServer.start(handler: echoHandler)
        let port = server.port
        await server.stop()
        do {
            _ = try await HTTPClient().send(HTTPRequest(url: "http://127.0.0.1:\(port)/"))
            Issue.record("expected connection refused")
        } catch let error as HTTPError {
            guard case .connectionRefused(let host, let refusedPort, _) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(host == "127.0.0.1" && refusedPort == port)
            #expect(error.description.hasPrefix("connection refused to 127.0.0.1:\(port)"))
        }
    }

    @Test func dnsFailureAndBadURLs() async throws {
        await #expect(throws: HTTPError.dnsFailure(host: "no-such-host.invalid")) {
            try await HTTPClient().send(HTTPRequest(url: "http://no-such-host.invalid/"))
        }
        for bad in ["not a url", "ftp://example.com/", "http:///path", ""] {
            await #expect(throws: HTTPError.invalidURL(bad)) { try await HTTPClient().send(HTTPRequest(url: bad)) }
        }
    }

    /// Another protocol on the port is said to be that, not an "invalid URL".
    @Test func aServerThatDoesNotSpeakHTTPIsNamedSo() async throws {
        let ssh = try ForeignProtocolServer()
        await #expect(throws: HTTPError.notHTTP(host: "127.0.0.1", port: ssh.port)) {
            try await HTTPClient().send(HTTPRequest(url: ssh.url + "/api/v1/query", timeout: .seconds(10)))
        }
    }

    @Test func totalTimeout() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let started = ContinuousClock.now
        await #expect(throws: HTTPError.timeout(seconds: 0.3, url: server.url + "/hang")) {
            try await HTTPClient().send(HTTPRequest(url: server.url + "/hang", timeout: .milliseconds(300)))
        }
        #expect(ContinuousClock.now - started < hangBound)
        #expect(HTTPError.timeout(seconds: 10, url: "http://x/").description == "timeout after 10 s: http://x/")
    }

    // The bounds below guard against hangs, not for speed: the whole suite shares two cores, so
    // they leave room for a loaded machine.
    @Test func cancellingTheTaskAbortsPromptly() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let request = Task { try await client.send(HTTPRequest(url: server.url + "/hang", timeout: nil)) }
        #expect(try await Poll.until(timeout: hangBound) { client.transfersAlive == 1 })
        let cancelled = ContinuousClock.now
        request.cancel()
        await #expect(throws: CancellationError.self) { try await request.value }
        #expect(ContinuousClock.now - cancelled < hangBound)
    }

    @Test func aTaskCancelledBeforeItsRequestDoesNotSendIt() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        for _ in 0..<20 {
            let request = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.send(HTTPRequest(url: server.url + "/hang", timeout: nil))
            }
            await #expect(throws: CancellationError.self) { try await request.value }
        }
    }

    @Test func streamedLinesAcrossChunks() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let response = try await HTTPClient().stream(HTTPRequest(url: server.url + "/stream", timeout: nil))
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        var lines: [String] = []
        for try await line in response.lines { lines.append(String(decoding: line, as: UTF8.self)) }
        #expect(lines == [#"{"n":0}"#, #"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
    }

    /// An answer past `maximumResponseSize` is aborted, announced or not, and named; a stream's
    /// lines are bounded one by one.
    @Test func answersPastTheMaximumSizeAreAbortedAndNamed() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient(configuration: HTTPClientConfiguration(maximumResponseSize: 1 << 20))
        #expect(try await client.send(HTTPRequest(url: server.url + "/big?bytes=1048576")).body.count == 1 << 20)
        for query in ["bytes=1048577", "bytes=50000000&chunked=1"] {
            let url = server.url + "/big?" + query
            await #expect(throws: HTTPError.responseTooLarge(limit: 1 << 20, url: url)) { try await client.send(HTTPRequest(url: url)) }
        }
        #expect(HTTPError.responseTooLarge(limit: 1 << 20, url: "http://x/").description == "the answer from http://x/ passed 1 MiB, the most this client reads; it was not read further")
        #expect(try await Poll.until { client.transfersAlive == 0 })

        let url = server.url + "/lines?bytes=2000000"
        let response = try await client.stream(HTTPRequest(url: url, timeout: nil))
        var lines = 0
        do {
            for try await _ in response.lines { lines += 1 }
            Issue.record("a 2 MB line was read whole")
        } catch {
            #expect(error as? HTTPError == .responseTooLarge(limit: 1 << 20, url: url))
        }
        #expect(lines == 3)
    }

    @Test func cancellingAStreamEndsItPromptly() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let received = Mutex(0)
        let consumer = Task {
            let response = try await HTTPClient().stream(HTTPRequest(url: server.url + "/stream?forever=1", timeout: nil))
            for try await _ in response.lines { received.withLock { $0 += 1 } }
        }
        // Cancelled once the stream has given all it will before it hangs.
        #expect(try await Poll.until { received.withLock { $0 } == 4 })
        let cancelled = ContinuousClock.now
        consumer.cancel()
        _ = try? await consumer.value
        #expect(ContinuousClock.now - cancelled < hangBound)
    }

    @Test func manyWaitingRequestsDoNotBlockOtherTasks() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let id = UUID().uuidString
        let hanging = (0..<32).map { _ in Task { try await client.send(HTTPRequest(url: server.url + "/hang?id=\(id)", timeout: nil)) } }
        #expect(try await Poll.until { hangingRequests.withLock { $0[id] } == 32 })
        // With 32 transfers waiting, short requests and plain tasks still run.
        let started = ContinuousClock.now
        #expect(try await client.send(HTTPRequest(url: server.url + "/quick")).status == 200)
        #expect(ContinuousClock.now - started < hangBound)
        for task in hanging { task.cancel() }
        for task in hanging { _ = try? await task.value }
    }
}

@Suite("Line splitter")
struct LineSplitterTests {
    @Test func reassemblesLinesCutAnywhere() {
        let text = "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\",\"x\":\"é\"}\r\n\n{\"type\":\"DELETED\"}\n{\"tail\":1}"
        let bytes = Array(text.utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var splitter = LineSplitter()
            var lines: [String] = []
            var index = 0
            while index < bytes.count {
                let size = Int.random(in: 1...7, using: &generator)
                let chunk = Data(bytes[index..<min(index + size, bytes.count)])
                lines += splitter.append(chunk).map { String(decoding: $0, as: UTF8.self) }
                index += size
            }
            if let rest = splitter.finish() { lines.append(String(decoding: rest, as: UTF8.self)) }
            #expect(lines == ["{\"type\":\"ADDED\"}", "{\"type\":\"MODIFIED\",\"x\":\"é\"}", "{\"type\":\"DELETED\"}", "{\"tail\":1}"])
        }
    }
}
