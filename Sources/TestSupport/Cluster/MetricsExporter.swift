import Foundation
import Hummingbird
import Synchronization

/// A tiny Prometheus exporter whose values the test sets: `/metrics` answers every series set so
/// far in the text exposition format. A series set to nil disappears (Prometheus marks it stale).
public final class MetricsExporter: Sendable {
    private let server: TestHTTPServer
    private let series: Series

    final class Series: Sendable {
        let values = Mutex<[String: Double]>([:])
        var text: String { values.withLock { all in all.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined() } }
    }

    /// `127.0.0.1:<port>`, as a scrape target.
    public var target: String { "127.0.0.1:\(server.port)" }

    public static func start() async throws -> MetricsExporter {
        let series = Series()
        let server = try await TestHTTPServer.start { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: series.text)))
        }
        return MetricsExporter(server: server, series: series)
    }

    private init(server: TestHTTPServer, series: Series) {
        self.server = server
        self.series = series
    }

    /// `name{label="value",…}` → value; nil removes the series.
    public func set(_ name: String, _ labels: [String: String] = [:], to value: Double?) {
        let key = labels.isEmpty ? name : "\(name){\(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ","))}"
        series.values.withLock { $0[key] = value }
    }

    public func stop() async { await server.stop() }
}
