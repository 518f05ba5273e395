import Foundation
import HTTPTransport

/// `hpa-operator run` as a child process inside the control plane's network namespace, as a pod
/// would run it: its metrics API answers on the namespace's address, where the APIServices'
/// Endpoints point, and its plain port serves `/metrics` and `/readyz`.
public final class OperatorProcess: Sendable {
    public let process: ChildProcess
    public let arguments: [String]
    /// `http://<namespace address>:<metrics port>`.
    public let metricsURL: String
    /// `https://<namespace address>:<secure port>`: the metrics API and the admission webhook.
    public let secureURL: String

    /// `arguments` are those after `run`; the metrics port is read from `--metrics-bind-address`.
    public init(name: String, plane: ControlPlane, arguments: [String]) throws {
        let (executable, wrapped) = try plane.network.command(BuiltProduct.path("hpa-operator"), ["run"] + arguments)
        process = try ChildProcess(
            name: name, executable: executable, arguments: wrapped,
            logFile: plane.directory.appendingPathComponent("\(name).log"), reaper: plane.reaper)
        self.arguments = arguments
        let bind = arguments.last { $0.hasPrefix("--metrics-bind-address=") }.map { String($0.dropFirst("--metrics-bind-address=".count)) } ?? ":8080"
        metricsURL = "http://\(plane.network.address):\(bind.split(separator: ":").last ?? "8080")"
        let securePort = arguments.last { $0.hasPrefix("--secure-port=") }.map { String($0.dropFirst("--secure-port=".count)) } ?? "6443"
        secureURL = "https://\(plane.network.address):\(securePort)"
    }

    /// `/metrics` in the text format, or nil while it does not answer.
    public func metrics() async -> String? {
        guard let response = try? await HTTPClient().send(HTTPRequest(url: "\(metricsURL)/metrics", timeout: .seconds(5))), response.status == 200 else { return nil }
        return response.bodyText
    }

    /// The sum of a metric's samples whose label text contains `matching` (`verb="apply"`).
    public func sample(_ name: String, matching: String = "") async -> Double? {
        guard let text = await metrics() else { return nil }
        var total: Double?
        for line in text.split(separator: "\n") where line.hasPrefix(name) && !line.hasPrefix("#") {
            let series = line.split(separator: " ").first ?? ""
            guard series == name || series.hasPrefix("\(name){"), matching.isEmpty || series.contains(matching) else { continue }
            total = (total ?? 0) + (Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return total
    }

    public var isReady: Bool {
        get async {
            guard let response = try? await HTTPClient().send(HTTPRequest(url: "\(metricsURL)/readyz", timeout: .seconds(5))), response.status == 200 else { return false }
            // The secure port listens too (it binds after the caches sync): scenarios call it directly.
            let secure = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(insecureSkipVerify: true)))
            return (try? await secure.send(HTTPRequest(url: "\(secureURL)/healthz", timeout: .seconds(5))))?.status == 200
        }
    }

    public func stop() async { await process.stop() }
    public func kill() async { await process.kill() }
}

/// Executables this package builds, next to the test bundle (same configuration), or
/// `HPA_OPERATOR_BIN` for `hpa-operator`.
public enum BuiltProduct {
    public static func path(_ name: String) -> String {
        if name == "hpa-operator", let path = ProcessInfo.processInfo.environment["HPA_OPERATOR_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }
}
