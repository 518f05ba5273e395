import Foundation
import Synchronization

/// A slow client: connects to a loopback port, sends the first lines of a request head and never
/// the rest, then waits for the server to close the connection.
public enum HalfSentRequest {
    /// Whether the server closed the connection within `bound` (a hang bound: the server's own
    /// timeout is what is tested).
    public static func isClosed(port: Int, within bound: Duration = hangBound) async throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw ToolError("cannot connect to 127.0.0.1:\(port): errno \(errno)") }
        _ = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".withCString { send(fd, $0, strlen($0), 0) }
        // The read runs on a thread of its own until the server closes; past the bound we shut
        // the socket ourselves, which ends the read too, and say so.
        let gaveUp = Atomic(false)
        let watchdog = Task {
            try await Task.sleep(for: bound)
            gaveUp.store(true, ordering: .sequentiallyConsistent)
            shutdown(fd, Int32(SHUT_RDWR))
        }
        await Task.detached {
            var buffer = [UInt8](repeating: 0, count: 512)
            while recv(fd, &buffer, buffer.count, 0) > 0 {}
        }.value
        watchdog.cancel()
        return !gaveUp.load(ordering: .sequentiallyConsistent)
    }
}
