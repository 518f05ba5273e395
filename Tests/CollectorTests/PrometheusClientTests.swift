import Foundation
import HTTPTransport
import Hummingbird
import KubeModel
import NIOCore
import Synchronization
import TestSupport
import Testing

@testable import Collector

@Suite struct PrometheusClientTests {
    /// What the collector would hold for a query at the data's instant.
    static func collected(_ client: PrometheusClient, _ query: String, perReplica: Int? = nil) async -> Result<String, MetricError> {
        do throws(PrometheusError) {
            let response = try await client.query(query, at: PrometheusData.evaluation, timeout: hangBound)
            return Interpretation.single(response.result, perReplica: perReplica, target: "Deployment/shop").map(\.value.description)
        } catch {
            return .failure(.prometheus(error))
        }
    }

    @Test func everyResultTypeAgainstARealPrometheus() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: PrometheusData.openMetrics())
        defer { prometheus.stop() }
        let client = PrometheusClient(server: PrometheusServer(url: prometheus.url))
        let rps = #"sum(rate(http_requests_total{app="shop"}[2m]))"#
        // (600 + 300) / 60 s × the extrapolation Prometheus applies over a 2m window
        #expect(await Self.collected(client, rps) == .success("9167m"))
        #expect(await Self.collected(client, "vector(1)") == .success("1"))
        #expect(await Self.collected(client, "scalar(\(rps))") == .success("9167m"))
        #expect(await Self.collected(client, #"http_requests_total{app="none"}"#) == .failure(.noData))
        #expect(await Self.collected(client, "rate(http_requests_total[2m])") == .failure(.tooManySeries(2)))
        #expect(await Self.collected(client, "0/0") == .failure(.notFinite("NaN")))
        #expect(await Self.collected(client, "1/0") == .failure(.notFinite("+Inf")))
        #expect(await Self.collected(client, "up[5m]") == .failure(.rangeVector))
        #expect(await Self.collected(client, #""text""#) == .failure(.stringResult("text")))
        #expect(await Self.collected(client, "1e20") == .failure(.outOfRange("100000000000000000000")))
        #expect(await Self.collected(client, rps, perReplica: 2) == .success("4583m"))
        #expect(
            await Self.collected(client, "sum(")
                == .failure(
                    .prometheus(
                        .api(
                            errorType: "bad_data", message: #"invalid parameter "query": 1:5: parse error: unclosed left parenthesis"#))))
        // Long queries go as a POST form.
        #expect(await Self.collected(client, rps + String(repeating: " ", count: 3000)) == .success("9167m"))
        // A pods vector.
        let pods = try await client.query(#"sum by (pod) (rate(http_requests_total{app="shop"}[2m]))"#, at: PrometheusData.evaluation, timeout: hangBound)
        #expect(try Interpretation.pods(pods.result).get().mapValues(\.value.description) == ["shop-1": "5833m", "shop-2": "3333m"])
        // Every transfer is released once the engine has finished with it.
        _ = try await Poll.until { client.transfersAlive == 0 }
        #expect(client.transfersAlive == 0)
    }

    /// An answer past the server's maximum is aborted before it is decoded, and the error names
    /// the flag that raises it.
    @Test func anAnswerPastTheMaximumIsRefused() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            let body = #"{"status":"success","data":{"resultType":"vector","result":["# + String(repeating: #"{"metric":{"pod":"p"},"value":[1,"1"]},"#, count: 40_000) + "]}}"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        defer { Task { await server.stop() } }
        let client = PrometheusClient(server: PrometheusServer(url: server.url, maximumAnswerSize: 1 << 20))
        await #expect(throws: PrometheusError.tooLarge(server: server.url, limit: 1 << 20)) {
            _ = try await client.query("up", timeout: .seconds(30))
        }
        #expect(PrometheusError.tooLarge(server: server.url, limit: 1 << 20).description.contains("answered more than 1 MiB, the most hpa-operator reads (--prometheus-max-answer-size)"))
        // Under the maximum, the same answer is read.
        let roomy = PrometheusClient(server: PrometheusServer(url: server.url))
        _ = try await roomy.query("up", timeout: .seconds(30))
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let silent = try SilentServer()
        let client = PrometheusClient(server: PrometheusServer(url: silent.url))
        let started = ContinuousClock.now
        await #expect(throws: PrometheusError.timeout(server: silent.url, seconds: 1)) {
            _ = try await client.query("vector(1)", timeout: .seconds(1))
        }
        #expect(ContinuousClock.now - started < hangBound)
        #expect(PrometheusError.timeout(server: silent.url, seconds: 1).description == "Prometheus \(silent.url) did not answer within 1 s")
    }

    @Test func aServerThatIsDownIsUnreachable() async throws {
        let url = "http://127.0.0.1:\(try freePort())"
        let client = PrometheusClient(server: PrometheusServer(url: url))
        do {
            _ = try await client.query("vector(1)", timeout: .seconds(2))
            Issue.record("expected an error")
        } catch {
            guard case .unreachable(let server, let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(server == url)
            #expect(reason.contains("connection refused"))
        }
    }

    /// A stand-in Prometheus that records what it was sent and answers with `body`.
    final class Recorder: Sendable {
        let requests = Mutex<[(method: String, authorization: String, target: String, body: String)]>([])
    }

    static let answer = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000060,"5"]}]},"warnings":["PromQL info: bucket label is missing"]}"#

    static func standIn(_ recorder: Recorder, security: TestServerSecurity = .plain, getStatus: Int = 200, status: Int = 200, body: String = answer) async throws -> TestHTTPServer {
        try await TestHTTPServer.start(security: security) { request, _ in
            let received = try await request.body.collect(upTo: 1 << 20)
            recorder.requests.withLock {
                $0.append((request.method.rawValue, request.headers[.authorization] ?? "", request.uri.description, String(buffer: received)))
            }
            let code = request.method == .get ? getStatus : status
            return Response(status: .init(code: code), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
    }

    @Test func warningsAreDecodedAndTheTimeoutIsSentToPrometheus() async throws {
        let recorder = Recorder()
        let server = try await Self.standIn(recorder)
        defer { Task { await server.stop() } }
        let response = try await PrometheusClient(server: PrometheusServer(url: server.url + "/prefix/")).query("sum(x)", at: PrometheusData.evaluation, timeout: .milliseconds(60_500))
        #expect(response.warnings == ["PromQL info: bucket label is missing"])
        #expect(response.result == .vector([PrometheusSample(time: 1_700_000_060, value: "5")]))
        let target = try #require(recorder.requests.withLock { $0.first?.target })
        #expect(target == "/prefix/api/v1/query?query=sum%28x%29&timeout=60500ms&time=1700000060.000")
    }

    @Test func a405AnswerSwitchesToPostForGood() async throws {
        let recorder = Recorder()
        let server = try await Self.standIn(recorder, getStatus: 405)
        defer { Task { await server.stop() } }
        let client = PrometheusClient(server: PrometheusServer(url: server.url))
        _ = try await client.query("vector(1)", timeout: hangBound)
        _ = try await client.query("vector(2)", timeout: hangBound)
        let requests = recorder.requests.withLock { $0 }
        #expect(requests.map(\.method) == ["GET", "POST", "POST"])
        #expect(requests.last?.body == "query=vector%282%29&timeout=90s")
    }

    @Test func errorsWithoutAPrometheusBodyNameOnlyTheStatus() async throws {
        let recorder = Recorder()
        let proxy = try await Self.standIn(recorder, getStatus: 502, body: "Bad Gateway")
        defer { Task { await proxy.stop() } }
        // What a proxy (or any URL) says is not echoed into kubectl describe: only the status.
        await #expect(throws: PrometheusError.http(status: 502)) {
            _ = try await PrometheusClient(server: PrometheusServer(url: proxy.url)).query("vector(1)", timeout: hangBound)
        }
        let garbage = try await Self.standIn(recorder, body: "<html>login</html>")
        defer { Task { await garbage.stop() } }
        do {
            _ = try await PrometheusClient(server: PrometheusServer(url: garbage.url)).query("vector(1)", timeout: hangBound)
            Issue.record("expected an error")
        } catch {
            guard case .undecodable(let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.contains("not JSON"))
        }
    }

    /// Valid JSON is read whole (an escaped surrogate pair is one character); what is not JSON says
    /// why, and a number no Double holds is named as such rather than "not JSON".
    @Test func answersThatAreNotJSONSayWhy() throws {
        func reason(_ body: String) -> String? {
            do {
                _ = try PrometheusClient.decode(HTTPTransport.HTTPResponse(status: 200, headers: [], body: Data(body.utf8)))
                return nil
            } catch {
                guard case PrometheusError.undecodable(let reason) = error else { return "\(error)" }
                return reason
            }
        }
        let vector = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"page":"\ud83d\ude00"},"value":[TIME,"1"]}]}}"#
        let answer = try PrometheusClient.decode(HTTPTransport.HTTPResponse(status: 200, headers: [], body: Data(vector.replacingOccurrences(of: "TIME", with: "1700000000").utf8)))
        guard case .vector(let samples) = answer.result else {
            Issue.record("expected a vector")
            return
        }
        #expect(samples.first?.labels["page"] == "😀")
        #expect(reason(vector.replacingOccurrences(of: "TIME", with: "1e400")) == "a number out of range (1e400)")
        #expect(reason(#"{"status":"success","data":"#)?.hasPrefix("not JSON: ") == true)
        #expect(reason("<html>login</html>")?.hasPrefix("not JSON") == true)
    }

    /// The query's deadline covers decoding the answer: a decode still running at the deadline
    /// (200,000 series took seconds) gives the caller its timeout, not a late answer.
    @Test func decodingPastTheDeadlineIsATimeout() async throws {
        let release = DispatchSemaphore(value: 0)
        let answer = HTTPTransport.HTTPResponse(status: 200, headers: [], body: Data(Self.answer.utf8))
        let timedOut = PrometheusError.timeout(server: "http://prometheus:9090", seconds: 3)
        await #expect(throws: timedOut) {
            _ = try await PrometheusClient.decode(answer, within: .milliseconds(100), orThrow: timedOut) { response throws(PrometheusError) in
                // Blocks like a long decode; gives up after a minute so a broken race fails, not hangs.
                _ = release.wait(timeout: .now() + 60)
                return try PrometheusClient.decode(response)
            }
        }
        release.signal()
        let decoded = try await PrometheusClient.decode(answer, within: .seconds(60), orThrow: timedOut)
        #expect(decoded.result == .vector([PrometheusSample(time: 1_700_000_060, value: "5")]))
    }

    @Test func bearerAndBasicAuthFilesAreSentAndReReadWhenRotated() async throws {
        let recorder = Recorder()
        let server = try await Self.standIn(recorder)
        defer { Task { await server.stop() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prom-auth-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let token = directory.appendingPathComponent("token").path
        let basic = directory.appendingPathComponent("basic").path
        try "first\n".write(toFile: token, atomically: true, encoding: .utf8)
        try "alice:s3cret\n".write(toFile: basic, atomically: true, encoding: .utf8)
        let bearerClient = PrometheusClient(server: PrometheusServer(url: server.url, bearerTokenFile: token))
        _ = try await bearerClient.query("vector(1)", timeout: hangBound)
        try "second-token\n".write(toFile: token, atomically: true, encoding: .utf8)
        _ = try await bearerClient.query("vector(1)", timeout: hangBound)
        _ = try await PrometheusClient(server: PrometheusServer(url: server.url, basicAuthFile: basic)).query("vector(1)", timeout: hangBound)
        #expect(recorder.requests.withLock { $0.map(\.authorization) } == ["Bearer first", "Bearer second-token", "Basic YWxpY2U6czNjcmV0"])

        try "no-colon".write(toFile: basic, atomically: true, encoding: .utf8)
        do {
            _ = try await PrometheusClient(server: PrometheusServer(url: server.url, basicAuthFile: basic)).query("vector(1)", timeout: hangBound)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("must hold user:password"))
        }
    }

    @Test func tlsWithAPrivateCAAndAClientCertificate() async throws {
        let authority = try TestCertificateAuthority()
        let serving = try authority.issueServer(dnsNames: ["localhost"])
        let clientIdentity = try authority.issueClient(commonName: "collector")
        let authorityPEM = try authority.certificatePEM
        let recorder = Recorder()
        let server = try await Self.standIn(recorder, security: .mutualTLS(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM, clientCAPEM: authorityPEM))
        defer { Task { await server.stop() } }
        let tls = TLSOptions(
            certificateAuthority: .pem(Data(authorityPEM.utf8)), clientCertificate: .pem(Data(clientIdentity.certificatePEM.utf8)),
            clientKey: .pem(Data(clientIdentity.keyPEM.utf8)))
        let response = try await PrometheusClient(server: PrometheusServer(url: server.url, tls: tls)).query("vector(1)", timeout: hangBound)
        #expect(response.result == .vector([PrometheusSample(time: 1_700_000_060, value: "5")]))
        // Without the CA the server is not trusted.
        await #expect(throws: PrometheusError.self) {
            _ = try await PrometheusClient(server: PrometheusServer(url: server.url)).query("vector(1)", timeout: hangBound)
        }
    }
}
