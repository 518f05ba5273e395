import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle

/// Keeps the requestheader client CA current: from `--requestheader-client-ca-file`, or from the
/// ConfigMap kube-system/extension-apiserver-authentication that the apiserver maintains.
public struct ClientCARefresher: Service {
    public enum Source: Sendable {
        case file(String)
        case configMap(KubeClient)
    }

    public static let configMapNamespace = "kube-system"
    public static let configMapName = "extension-apiserver-authentication"
    static let caKey = "requestheader-client-ca-file"
    static let allowedNamesKey = "requestheader-allowed-names"

    let source: Source
    let authorities: ClientCertificateAuthorities
    let interval: Duration
    let logger: Logger

    public init(source: Source, authorities: ClientCertificateAuthorities, interval: Duration = .seconds(60), logger: Logger) {
        self.source = source
        self.authorities = authorities
        self.interval = interval
        self.logger = logger
    }

    /// Loads the CA once; returns the allowed names the ConfigMap lists (nil from a file).
    @discardableResult
    public func refresh() async throws -> [String]? {
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MetricsServerError("cannot read --requestheader-client-ca-file \(path)")
            }
            do { try authorities.replace(pem: String(decoding: data, as: UTF8.self)) } catch {
                throw MetricsServerError("--requestheader-client-ca-file \(path) holds no PEM certificate")
            }
            return nil
        case .configMap(let client):
            let configMap = try await client.get(ConfigMap.self, namespace: Self.configMapNamespace, name: Self.configMapName)
            guard let pem = configMap.data?[Self.caKey] else {
                throw MetricsServerError("ConfigMap \(Self.configMapNamespace)/\(Self.configMapName) has no \(Self.caKey): the apiserver runs without --requestheader-client-ca-file, so no aggregated API can authenticate it")
            }
            try authorities.replace(pem: pem)
            return configMap.data?[Self.allowedNamesKey].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        }
    }

    /// Refreshes every `interval` until cancelled or shut down; failures keep the last CA.
    public func run() async throws {
        await repeatedly(every: interval, startNow: false, logger: logger,
                         failure: "cannot refresh the requestheader client CA; keeping the last one",
                         recovery: "requestheader client CA readable again") { try await refresh() }
    }
}
