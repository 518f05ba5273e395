import Foundation
import KubeClient
import KubeModel
import Logging
import ServiceLifecycle

/// Keeps the requestheader trust current: the client CA from `--requestheader-client-ca-file`, or
/// the CA, allowed names and header names from the ConfigMap kube-system/extension-apiserver-
/// authentication that the apiserver maintains. Names given on the command line stay as given.
public struct ClientCARefresher: Service {
    public enum Source: Sendable {
        case file(String)
        case configMap(KubeClient)
    }

    public static let configMapNamespace = "kube-system"
    public static let configMapName = "extension-apiserver-authentication"
    static let caKey = "requestheader-client-ca-file"
    static let allowedNamesKey = "requestheader-allowed-names"
    static let usernameHeadersKey = "requestheader-username-headers"
    static let groupHeadersKey = "requestheader-group-headers"
    static let extraPrefixesKey = "requestheader-extra-headers-prefix"

    let source: Source
    let authorities: ClientCertificateAuthorities
    /// `--requestheader-allowed-names`; nil: the ConfigMap's list.
    let allowedNames: [String]?
    let interval: Duration
    let logger: Logger

    public init(source: Source, authorities: ClientCertificateAuthorities, allowedNames: [String]? = nil, interval: Duration = .seconds(60), logger: Logger) {
        self.source = source
        self.authorities = authorities
        self.allowedNames = allowedNames
        self.interval = interval
        self.logger = logger
    }

    /// Loads the trust once. A failure leaves the last CA in place, and is what the metrics API
    /// tells every caller while there is none.
    public func refresh() async throws {
        do {
            try await load()
        } catch {
            authorities.failed("\(error)")
            throw error
        }
    }

    private func load() async throws {
        switch source {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MetricsServerError("cannot read --requestheader-client-ca-file \(path)")
            }
            do { try authorities.replace(pem: String(decoding: data, as: UTF8.self)) } catch {
                throw MetricsServerError("--requestheader-client-ca-file \(path) holds no PEM certificate")
            }
            if let allowedNames { authorities.authentication.allowedNames = allowedNames }
        case .configMap(let client):
            let configMap = try await client.get(ConfigMap.self, namespace: Self.configMapNamespace, name: Self.configMapName)
            guard let pem = configMap.data?[Self.caKey] else {
                throw MetricsServerError(
                    "ConfigMap \(Self.configMapNamespace)/\(Self.configMapName) has no \(Self.caKey): the apiserver runs without --requestheader-client-ca-file, so no aggregated API can authenticate it"
                )
            }
            try authorities.replace(pem: pem)
            func list(_ key: String) -> [String]? {
                configMap.data?[key].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
            }
            var authentication = authorities.authentication
            authentication.allowedNames = allowedNames ?? list(Self.allowedNamesKey) ?? []
            if let headers = list(Self.usernameHeadersKey), !headers.isEmpty { authentication.usernameHeaders = headers }
            if let headers = list(Self.groupHeadersKey), !headers.isEmpty { authentication.groupHeaders = headers }
            if let prefixes = list(Self.extraPrefixesKey), !prefixes.isEmpty { authentication.extraHeaderPrefixes = prefixes }
            authorities.authentication = authentication
        }
    }

    /// Refreshes every `interval` until cancelled or shut down; failures keep the last trust.
    public func run() async throws {
        await repeatedly(
            every: interval, startNow: false, logger: logger,
            failure: "cannot refresh the requestheader client CA; keeping the last one",
            recovery: "requestheader client CA readable again"
        ) { try await refresh() }
    }
}
