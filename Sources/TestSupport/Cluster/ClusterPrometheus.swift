import Foundation
import HTTPTransport
import Synchronization

/// Debian's Prometheus scraping live targets every second (not a fixed TSDB), listening where the
/// product in the network namespace can reach it. It can be stopped and started again on the same
/// port and data, for outages.
public final class ClusterPrometheus: Sendable {
    public let url: String
    private let arguments: [String]
    private let directory: URL
    private let reaper: Reaper
    private let current: Mutex<ChildProcess?>

    /// `extraConfiguration` is appended to the generated prometheus.yml (rule files, alerting).
    public static func start(host: String, scrapeTargets: [String], in directory: URL, reaper: Reaper, extraConfiguration: String = "") async throws -> ClusterPrometheus {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("prometheus.yml")
        try """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        scrape_configs:
          - job_name: e2e
            static_configs: [{targets: [\(scrapeTargets.map { "\"\($0)\"" }.joined(separator: ", "))]}]
        \(extraConfiguration)
        """.write(to: config, atomically: true, encoding: .utf8)
        let port = try freePort(on: host)
        let prometheus = ClusterPrometheus(
            url: "http://\(host):\(port)", directory: directory, reaper: reaper,
            arguments: [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=\(host):\(port)", "--log.level=warn",
            ])
        try await prometheus.start()
        return prometheus
    }

    private init(url: String, directory: URL, reaper: Reaper, arguments: [String]) {
        self.url = url
        self.directory = directory
        self.reaper = reaper
        self.arguments = arguments
        current = Mutex(nil)
    }

    /// Starts it (again) and waits until `/-/ready`.
    public func start() async throws {
        let process = try ChildProcess(
            name: "prometheus", executable: try Tool.path("prometheus", hint: "Debian package prometheus"),
            arguments: arguments, logFile: directory.appendingPathComponent("prometheus.log"), reaper: reaper)
        current.withLock { $0 = process }
        let client = HTTPClient()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && process.isRunning {
            if let response = try? await client.send(HTTPRequest(url: "\(url)/-/ready", timeout: .seconds(2))), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ControlPlaneError("prometheus did not become ready\n\(process.logTail())")
    }

    public func stop() async {
        await current.withLock { $0 }?.stop()
    }

    public var isRunning: Bool { current.withLock { $0 }?.isRunning ?? false }

    /// The value of an instant query that returns one sample, or nil (no data, an error, down).
    public func value(_ query: String) async -> Double? {
        guard
            let response = try? await HTTPClient().send(
                HTTPRequest(url: "\(url)/api/v1/query?query=\(query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")", timeout: .seconds(5))),
            response.status == 200,
            let body = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
            let result = (body["data"] as? [String: Any])?["result"] as? [[String: Any]], result.count == 1,
            let sample = result[0]["value"] as? [Any], sample.count == 2, let text = sample[1] as? String
        else { return nil }
        return Double(text)
    }
}
