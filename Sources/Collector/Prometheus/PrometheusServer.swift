import HTTPTransport
import KubeModel

/// A Prometheus server and how to authenticate to it.
public struct PrometheusServer: Sendable, Hashable {
    /// Base URL, with any path prefix (`http://prometheus.monitoring:9090`, `https://host/prometheus`).
    public var url: String
    public var tls: TLSOptions
    public var bearerTokenFile: String?
    /// A file holding `user:password`.
    public var basicAuthFile: String?

    public init(url: String, tls: TLSOptions = TLSOptions(), bearerTokenFile: String? = nil, basicAuthFile: String? = nil) {
        self.url = url
        self.tls = tls
        self.bearerTokenFile = bearerTokenFile
        self.basicAuthFile = basicAuthFile
    }
}

/// The servers the collector knows: the default (`--prometheus-server`) and named aliases
/// (`--prometheus-server-alias NAME=URL`). Annotations name a server by alias or URL.
public struct PrometheusServers: Sendable, Hashable {
    public var defaultServer: PrometheusServer?
    public var aliases: [String: PrometheusServer]

    public init(defaultServer: PrometheusServer? = nil, aliases: [String: PrometheusServer] = [:]) {
        self.defaultServer = defaultServer
        self.aliases = aliases
    }

    /// The server an annotation value (nil: none given) names, or why there is none.
    ///
    /// A URL of a configured server gets that server's credentials; any other URL gets none, so
    /// an HPA annotation can never send our credentials somewhere else.
    public func resolve(_ reference: String?) -> Result<PrometheusServer, PlanProblem.Reason> {
        guard let reference else {
            if let defaultServer { return .success(defaultServer) }
            return .failure(.noServer)
        }
        switch PrometheusServerReference(reference) {
        case .url(let url):
            let configured = ([defaultServer].compactMap { $0 } + aliases.values).first { $0.url == url }
            return .success(configured ?? PrometheusServer(url: url))
        case .alias(let name):
            if let server = aliases[name] { return .success(server) }
            return .failure(.unknownAlias(name, known: aliases.keys.sorted()))
        case nil:
            return .failure(.unknownAlias(reference, known: aliases.keys.sorted()))
        }
    }
}
