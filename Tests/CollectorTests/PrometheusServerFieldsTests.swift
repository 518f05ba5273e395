import Foundation
import Hummingbird
import Synchronization
import TestSupport
import Testing

@testable import Collector

/// Per-server headers and query parameters (Mimir, Cortex, Thanos) reach their server and no other.
@Suite struct PrometheusServerFieldsTests {
    final class Received: Sendable {
        let requests = Mutex<[(headers: [String: String], target: String, body: String)]>([])
    }

    static func standIn(_ received: Received) async throws -> TestHTTPServer {
        try await TestHTTPServer.start { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            received.requests.withLock { $0.append((headers, request.uri.description, String(buffer: body))) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: PrometheusClientTests.answer)))
        }
    }

    @Test func headersAndParametersGoOnlyToTheirServerOnGetAndPost() async throws {
        let (mimirSeen, otherSeen) = (Received(), Received())
        let (mimir, other) = (try await Self.standIn(mimirSeen), try await Self.standIn(otherSeen))
        defer {
            Task {
                await mimir.stop()
                await other.stop()
            }
        }
        let configured = PrometheusServer(
            url: mimir.url, headers: [PrometheusServer.Field(name: "X-Scope-OrgID", value: "platform")],
            queryParameters: [PrometheusServer.Field(name: "partial_response", value: "false"), PrometheusServer.Field(name: "dedup", value: "true")])
        _ = try await PrometheusClient(server: configured).query("sum(x)", timeout: .seconds(30))
        // A long query goes as a POST: the fields go with it.
        let long = "sum(x)" + String(repeating: " ", count: PrometheusClient.longQuery)
        _ = try await PrometheusClient(server: configured).query(long, timeout: .seconds(30))
        _ = try await PrometheusClient(server: PrometheusServer(url: other.url)).query("sum(x)", timeout: .seconds(30))

        let seen = mimirSeen.requests.withLock { $0 }
        #expect(seen.count == 2)
        #expect(seen.allSatisfy { $0.headers["x-scope-orgid"] == "platform" })
        #expect(seen[0].target.hasSuffix("&partial_response=false&dedup=true"))
        #expect(seen[1].body.hasSuffix("&partial_response=false&dedup=true"))
        let elsewhere = try #require(otherSeen.requests.withLock { $0.first })
        #expect(elsewhere.headers["x-scope-orgid"] == nil)
        #expect(!elsewhere.target.contains("partial_response"))
    }
}
