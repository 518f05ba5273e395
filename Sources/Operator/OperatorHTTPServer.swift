import Hummingbird
import Logging
import NIOCore

/// A plain-HTTP port: `/healthz`, `/livez`, `/readyz`, and `/metrics` (Prometheus text) unless
/// `metrics` is nil (a probes-only port, `--health-probe-bind-address`).
struct OperatorHTTPServer {
    let metrics: OperatorMetrics?
    let isReady: @Sendable () -> Bool
    /// A connection with no complete request part for this long is closed.
    let idleTimeout: Duration
    let logger: Logger

    /// Serves until cancelled; `onPort` gets the bound port (useful with port 0).
    func run(host: String, port: Int, onPort: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        if let metrics {
            router.get("metrics") { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.exposition())))
            }
        }
        for path in ["healthz", "livez"] {
            router.get(RouterPath(path)) { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))) }
        }
        router.get("readyz") { _, _ in
            isReady()
                ? Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
                : Response(status: .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: "informers have not synced yet\n")))
        }
        // Hummingbird reports a cancelled server as errors; our own code logs a failure to bind.
        var quiet = logger
        quiet.logLevel = .critical
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: TimeAmount(idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { onPort($0.localAddress?.port ?? port) }, logger: quiet)
        try await app.run()
    }
}
