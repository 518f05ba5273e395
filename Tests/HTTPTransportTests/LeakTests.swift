import Foundation
import HTTPTransport
import TestSupport
import Testing

@Suite("Transfers are freed")
struct LeakTests {
    @Test func finishedCancelledAndStreamedTransfersAreFreed() async throws {
        let server = try await TestHTTPServer.start(handler: echoHandler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        for _ in 0..<200 { _ = try await client.send(HTTPRequest(method: "POST", url: server.url + "/x", body: Data(count: 10_000))) }
        for try await _ in try await client.stream(HTTPRequest(url: server.url + "/stream", timeout: nil)).lines {}
        let hanging = Task { try await client.send(HTTPRequest(url: server.url + "/hang", timeout: nil)) }
        // Under way (the only transfer left), then cancelled: freed, not merely forgotten.
        #expect(try await Poll.until(timeout: hangBound) { client.transfersAlive == 1 })
        hanging.cancel()
        _ = try? await hanging.value
        #expect(try await Poll.until(timeout: hangBound) { client.transfersAlive == 0 }, "\(client.transfersAlive) transfers alive")
    }
}
