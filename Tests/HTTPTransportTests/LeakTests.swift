import Foundation
import HTTPTransport
import Testing
import TestSupport

@Suite("Transfers are freed")
struct LeakTests {
    @Test func finishedCancelledAndStreamedTransfersAreFreed() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        for _ in 0..<200 { _ = try await client.send(HTTPRequest(method: "POST", url: server.url + "/x", body: Data(count: 10_000))) }
        for try await _ in try await client.stream(HTTPRequest(url: server.url + "/stream", timeout: nil)).lines {}
        let hanging = Task { try await client.send(HTTPRequest(url: server.url + "/hang", timeout: nil)) }
        try await Task.sleep(for: .milliseconds(100))
        hanging.cancel()
        _ = try? await hanging.value
        try await Task.sleep(for: .milliseconds(200))
        #expect(client.transfersAlive == 0)
    }
}
