import Foundation
import HTTPTransport
import Synchronization

/// Debian's `prometheus` on a free loopback port, its TSDB filled by `promtool` from OpenMetrics
/// text, so every instant query at a known time has a known answer. Installs nothing (`make deps`
/// does). `stop()` (or deinit) ends the process and removes its directory.
public final class PrometheusFixture: Sendable {
    public let port: Int
    public var url: String { "http://127.0.0.1:\(port)" }
    private let process: Process
    private let directory: URL

    /// Writes `openMetrics` (OpenMetrics text, timestamps in seconds; `# EOF` is added when
    /// missing), creates blocks from it, starts Prometheus and waits until it is ready.
    public static func start(openMetrics: String) async throws -> PrometheusFixture {
        let directory = try makeDirectory()
        if !openMetrics.isEmpty {
            let text = openMetrics.hasSuffix("# EOF\n") ? openMetrics : openMetrics + (openMetrics.hasSuffix("\n") ? "" : "\n") + "# EOF\n"
            let source = directory.appendingPathComponent("data.om")
            try text.write(to: source, atomically: true, encoding: .utf8)
            try await load(source.path, into: directory)
        }
        return try await start(in: directory)
    }

    /// The same, with the data of OpenMetrics files (`samples/prometheus/*.om`).
    public static func start(openMetricsFiles files: [String]) async throws -> PrometheusFixture {
        let directory = try makeDirectory()
        for file in files { try await load(file, into: directory) }
        return try await start(in: directory)
    }

    private static func makeDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private static func load(_ file: String, into directory: URL) async throws {
        let data = directory.appendingPathComponent("data")
        let output = try await Tool.run(try Tool.path("promtool", hint: "Debian package prometheus"), ["tsdb", "create-blocks-from", "openmetrics", file, data.path])
        guard output.status == 0 else { throw ToolError("promtool could not load \(file): \(output.stdout)\(output.stderr)") }
    }

    /// Starts Prometheus on a free port. A port found free is not reserved: when something takes
    /// it first, Prometheus exits ("address already in use") and starts again on another. Ready
    /// means our Prometheus answers: its flags name our data directory (another server on the
    /// port, say another fixture's Prometheus, would not).
    private static func start(in directory: URL) async throws -> PrometheusFixture {
        let data = directory.appendingPathComponent("data")
        let config = directory.appendingPathComponent("prometheus.yml")
        try "global: {}\n".write(to: config, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("prometheus.log")
        let client = HTTPClient()
        for _ in 0..<5 {
            let port = try freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try Tool.path("prometheus", hint: "Debian package prometheus"))
            process.arguments = [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(data.path)", "--storage.tsdb.retention.time=100y",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ]
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            // A hang bound only: ready takes a second or two.
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning, ContinuousClock.now < deadline {
                if let flags = try? await client.send(HTTPRequest(url: "http://127.0.0.1:\(port)/api/v1/status/flags", timeout: .seconds(5))),
                    flags.status == 200, flags.bodyText.contains(#""storage.tsdb.path":"\#(data.path)""#)
                {
                    return PrometheusFixture(port: port, process: process, directory: directory)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            guard text.contains("address already in use") else {
                try? FileManager.default.removeItem(at: directory)
                throw ToolError("prometheus did not become ready on port \(port): \(text.suffix(800))")
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw ToolError("prometheus found its port taken five times in a row")
    }

    private init(port: Int, process: Process, directory: URL) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Instant queries Prometheus has answered, from its own `prometheus_http_requests_total`
    /// (handler `/api/v1/query`, all codes).
    public func queryRequests() async throws -> Int {
        let response = try await HTTPClient().send(HTTPRequest(url: "\(url)/metrics"))
        var total = 0.0
        for line in response.bodyText.split(separator: "\n") where line.hasPrefix("prometheus_http_requests_total{") && line.contains("handler=\"/api/v1/query\"") {
            total += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return Int(total)
    }
}

/// A TCP port that accepts connections (the kernel completes them) and never answers: for timeouts.
public final class SilentServer: Sendable {
    public let port: Int
    private let socket: Int32
    public var url: String { "http://127.0.0.1:\(port)" }

    public init() throws {
        (socket, port) = try listeningSocket()
    }

    deinit { close(socket) }
}

/// A TCP port that answers every connection with the same bytes and closes it: a server of
/// another protocol (SSH, a TLS-only port) where HTTP was expected.
public final class ForeignProtocolServer: Sendable {
    public let port: Int
    private let socket: Int32
    public var url: String { "http://127.0.0.1:\(port)" }

    public init(answer: String = "SSH-2.0-OpenSSH_9.2\r\n") throws {
        (socket, port) = try listeningSocket()
        let fd = socket
        Thread.detachNewThread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                _ = answer.withCString { write(connection, $0, strlen($0)) }
                close(connection)
            }
        }
    }

    deinit {
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
    }
}

/// A port of `address` (default loopback) that nothing listens on (connections are refused).
public func freePort(on address: String = "127.0.0.1") throws -> Int {
    let (socket, port) = try listeningSocket(on: address)
    close(socket)
    return port
}

private func listeningSocket(on host: String = "127.0.0.1") throws -> (Int32, Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ToolError("socket() failed: errno \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr(host)
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0, listen(fd, 64) == 0 else {
        close(fd)
        throw ToolError("cannot listen on a port of \(host): errno \(errno)")
    }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
