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
    /// `--allow-annotation-prometheus-urls`: annotations may name any URL (without credentials).
    public var allowsAnyURL: Bool

    public init(defaultServer: PrometheusServer? = nil, aliases: [String: PrometheusServer] = [:], allowsAnyURL: Bool = false) {
        self.defaultServer = defaultServer
        self.aliases = aliases
        self.allowsAnyURL = allowsAnyURL
    }

    /// The server an annotation value (nil: none given) names, or why there is none.
    ///
    /// A URL must be a configured server's (then it gets that server's credentials): anyone who
    /// may write an HPA annotation could otherwise make every replica fetch any URL. Only with
    /// `allowsAnyURL` is another URL used, and never with our credentials.
    public func resolve(_ reference: String?) -> Result<PrometheusServer, PlanProblem.Reason> {
        guard let reference else {
            if let defaultServer { return .success(defaultServer) }
            return .failure(.noServer)
        }
        switch PrometheusServerReference(reference) {
        case .url(let url):
            let configured = [defaultServer].compactMap { $0 } + aliases.values.sorted { $0.url < $1.url }
            if let server = configured.first(where: { $0.url == url }) { return .success(server) }
            if allowsAnyURL { return .success(PrometheusServer(url: url)) }
            return .failure(.unconfiguredURL(url, aliases: aliases.keys.sorted()))
        case .alias(let name):
            if let server = aliases[name] { return .success(server) }
            return .failure(.unknownAlias(name, known: aliases.keys.sorted()))
        case nil:
            return .failure(.unknownAlias(reference, known: aliases.keys.sorted()))
        }
    }
}
