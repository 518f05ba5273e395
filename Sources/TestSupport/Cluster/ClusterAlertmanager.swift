import Foundation
import HTTPTransport

/// Debian's `prometheus-alertmanager` routing alerts labelled `trigger: hpa` to one webhook
/// receiver, with a bearer token from a file, as the issue's users configure it. Gossip is off
/// (one instance); timings are a second so scenarios do not wait on Alertmanager's defaults.
public final class ClusterAlertmanager: Sendable {
    public let url: String
    public let process: ChildProcess

    public static func start(host: String, webhookURL: String, tokenFile: String, in directory: URL, reaper: Reaper) async throws -> ClusterAlertmanager {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("alertmanager.yml")
        try """
        route:
          receiver: nobody
          group_by: [alertname, namespace, deployment]
          group_wait: 1s
          group_interval: 1s
          repeat_interval: 1h
          routes:
            - matchers: ['trigger="hpa"']
              receiver: hpa-operator
        receivers:
          - name: nobody
          - name: hpa-operator
            webhook_configs:
              - url: \(webhookURL)
                send_resolved: true
                http_config:
                  authorization: {type: Bearer, credentials_file: \(tokenFile)}
        """.write(to: config, atomically: true, encoding: .utf8)
        let port = try freePort(on: host)
        let url = "http://\(host):\(port)"
        let process = try ChildProcess(
            name: "alertmanager", executable: try Tool.path("prometheus-alertmanager", hint: "Debian package prometheus-alertmanager"),
            arguments: [
                "--config.file=\(config.path)", "--storage.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=\(host):\(port)", "--cluster.listen-address=", "--log.level=info",
            ],
            logFile: directory.appendingPathComponent("alertmanager.log"), reaper: reaper)
        let client = HTTPClient()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && process.isRunning {
            if let response = try? await client.send(HTTPRequest(url: "\(url)/-/ready", timeout: .seconds(2))), response.status == 200 {
                return ClusterAlertmanager(url: url, process: process)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        await process.stop()
        throw ControlPlaneError("alertmanager did not become ready\n\(process.logTail())")
    }

    private init(url: String, process: ChildProcess) {
        self.url = url
        self.process = process
    }

    /// Prometheus's configuration for sending its alerts here.
    public var prometheusAlerting: String {
        """
        alerting:
          alertmanagers:
            - static_configs: [{targets: ["\(url.dropFirst("http://".count))"]}]
        """
    }

    public func stop() async { await process.stop() }
}
