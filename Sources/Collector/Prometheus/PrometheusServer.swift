import HTTPTransport
import KubeModel

/// A Prometheus server and how to authenticate to it.
public struct PrometheusServer: Sendable, Hashable {
    /// A header or query parameter sent with every query to this server.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Base URL, with any path prefix (`http://prometheus.monitoring:9090`, `https://host/prometheus`).
    public var url: String
    public var tls: TLSOptions
    public var bearerTokenFile: String?
    /// A file holding `user:password`.
    public var basicAuthFile: String?
    /// Headers for this server only (`X-Scope-OrgID: platform` for Mimir and Cortex).
    public var headers: [Field]
    /// Query parameters for this server only (Thanos's `partial_response=false`, `dedup=true`).
    public var queryParameters: [Field]
    /// A header that carries the namespace of the HPA a query is for (a Mimir tenant per namespace).
    public var tenantHeader: String?
    /// The largest answer read from this server, in bytes (`--prometheus-max-answer-size`).
    public var maximumAnswerSize: Int

    /// 64 MiB: a query answering more is refused before it is decoded (a 300 MB answer once took
    /// the process to 819 MB before "too many series").
    public static let defaultMaximumAnswerSize = 64 << 20

    public init(
        url: String, tls: TLSOptions = TLSOptions(), bearerTokenFile: String? = nil, basicAuthFile: String? = nil,
        headers: [Field] = [], queryParameters: [Field] = [], tenantHeader: String? = nil, maximumAnswerSize: Int = defaultMaximumAnswerSize
    ) {
        self.maximumAnswerSize = maximumAnswerSize
        self.url = url
        self.tls = tls
        self.bearerTokenFile = bearerTokenFile
        self.basicAuthFile = basicAuthFile
        self.headers = headers
        self.queryParameters = queryParameters
        self.tenantHeader = tenantHeader
    }

    /// The server as queries for `namespace` reach it: with the tenant header set to the namespace.
    public func forNamespace(_ namespace: String) -> PrometheusServer {
        guard let tenantHeader else { return self }
        var server = self
        server.headers.removeAll { $0.name.lowercased() == tenantHeader.lowercased() }
        server.headers.append(Field(name: tenantHeader, value: namespace))
        return server
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
            if allowsAnyURL { return .success(PrometheusServer(url: url, maximumAnswerSize: defaultServer?.maximumAnswerSize ?? PrometheusServer.defaultMaximumAnswerSize)) }
            return .failure(.unconfiguredURL(url, aliases: aliases.keys.sorted()))
        case .alias(let name):
            if let server = aliases[name] { return .success(server) }
            return .failure(.unknownAlias(name, known: aliases.keys.sorted()))
        case nil:
            return .failure(.unknownAlias(reference, known: aliases.keys.sorted()))
        }
    }

    /// The server of a `--prometheus-server-alias` name (kube-metrics-adapter's
    /// `prometheus-server-alias`, which names an alias only, never a URL).
    public func resolve(alias name: String) -> Result<PrometheusServer, PlanProblem.Reason> {
        if let server = aliases[name] { return .success(server) }
        return .failure(.unknownAlias(name, known: aliases.keys.sorted()))
    }
}
