import ArgumentParser
import Collector
import HTTPTransport
import KubeModel

/// Where Prometheus is and how to authenticate, shared by `run`, `query`, `preview`, `backtest` and `check`.
///
/// Auth flags take `PATH` for the default server or `ALIAS=PATH` for a `--prometheus-server-alias`.
struct PrometheusOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The default Prometheus server, for metrics whose annotations name none.", valueName: "url"))
    var prometheusServer: String?

    @Option(help: ArgumentHelp("Another Prometheus server that annotations can name (prometheus-server: NAME). Repeatable.", valueName: "name=url"))
    var prometheusServerAlias: [String] = []

    @Option(help: ArgumentHelp("A bearer token file, re-read when it changes.", valueName: "[alias=]path"))
    var prometheusBearerTokenFile: [String] = []

    @Option(help: ArgumentHelp("A file holding user:password for basic auth, re-read when it changes.", valueName: "[alias=]path"))
    var prometheusBasicAuthFile: [String] = []

    @Option(help: ArgumentHelp("CA certificates (PEM) to verify the server with, instead of the system's.", valueName: "[alias=]path"))
    var prometheusCaFile: [String] = []

    @Option(help: ArgumentHelp("A client certificate (PEM) for mutual TLS; needs --prometheus-client-key.", valueName: "[alias=]path"))
    var prometheusClientCert: [String] = []

    @Option(help: ArgumentHelp("The client certificate's private key (PEM).", valueName: "[alias=]path"))
    var prometheusClientKey: [String] = []

    @Option(help: ArgumentHelp("A header sent with every query to that server only (X-Scope-OrgID:platform for Mimir or Cortex). Repeatable.", valueName: "[alias=]name:value"))
    var prometheusHeader: [String] = []

    @Option(help: ArgumentHelp("A query parameter sent with every query to that server only (partial_response=false, dedup=true for Thanos). Repeatable.", valueName: "[alias=]key=value"))
    var prometheusQueryParam: [String] = []

    @Option(help: ArgumentHelp("A header carrying the namespace of the HPA each query is for, to that server only (X-Scope-OrgID for a Mimir tenant per namespace).", valueName: "[alias=]name"))
    var prometheusTenantHeader: [String] = []

    @Flag(help: "Let prometheus-server annotations name any URL, not only a configured server's (never with credentials). Off: whoever may annotate an HPA could make every replica fetch any URL.")
    var allowAnnotationPrometheusUrls = false

    @Option(help: ArgumentHelp("The largest answer read from any Prometheus server; past it the transfer is aborted and the query fails saying so (64Mi, 256Mi, or bytes).", valueName: "size"))
    var prometheusMaxAnswerSize = ByteSize(PrometheusServer.defaultMaximumAnswerSize)

    func validate() throws {
        _ = try servers()
    }

    /// The servers these flags describe; a `ValidationError` names the flag at fault.
    func servers() throws -> PrometheusServers {
        var servers = PrometheusServers(allowsAnyURL: allowAnnotationPrometheusUrls)
        if let url = prometheusServer {
            guard PrometheusServerReference.isURL(url) else { throw ValidationError("--prometheus-server: '\(url)' is not an http(s) URL") }
            servers.defaultServer = PrometheusServer(url: url)
        }
        for entry in prometheusServerAlias {
            guard let (name, url) = split(entry), !name.isEmpty, PrometheusServerReference.isURL(url) else {
                throw ValidationError("--prometheus-server-alias: '\(entry)' is not NAME=URL with an http(s) URL")
            }
            guard !PrometheusServerReference.isURL(name) else { throw ValidationError("--prometheus-server-alias: the name '\(name)' looks like a URL") }
            servers.aliases[name] = PrometheusServer(url: url)
        }
        func each(_ flag: String, _ values: [String], _ apply: (inout PrometheusServer, String) throws -> Void) throws {
            for entry in values {
                var alias: String?
                var path = entry
                if let (name, rest) = split(entry), servers.aliases[name] != nil {
                    alias = name
                    path = rest
                }
                if let alias {
                    try apply(&servers.aliases[alias]!, path)
                } else if servers.defaultServer != nil {
                    try apply(&servers.defaultServer!, path)
                } else {
                    throw ValidationError("--\(flag) '\(entry)': no --prometheus-server to apply it to, and no alias of that name")
                }
            }
        }
        try each("prometheus-bearer-token-file", prometheusBearerTokenFile) { $0.bearerTokenFile = $1 }
        try each("prometheus-basic-auth-file", prometheusBasicAuthFile) { $0.basicAuthFile = $1 }
        try each("prometheus-ca-file", prometheusCaFile) { $0.tls.certificateAuthority = .file($1) }
        try each("prometheus-client-cert", prometheusClientCert) { $0.tls.clientCertificate = .file($1) }
        try each("prometheus-client-key", prometheusClientKey) { $0.tls.clientKey = .file($1) }
        try each("prometheus-header", prometheusHeader) { server, entry in
            guard let colon = entry.firstIndex(of: ":"), case let name = entry[..<colon].trimmingCharacters(in: .whitespaces), Self.isToken(name) else {
                throw ValidationError("--prometheus-header: '\(entry)' is not [ALIAS=]Name:Value with a header name of letters, digits and -")
            }
            let value = entry[entry.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !value.contains(where: { $0 == "\r" || $0 == "\n" }) else { throw ValidationError("--prometheus-header: the value of \(name) holds a line break") }
            server.headers.append(PrometheusServer.Field(name: name, value: value))
        }
        try each("prometheus-query-param", prometheusQueryParam) { server, entry in
            guard let (key, value) = split(entry), !key.isEmpty else {
                throw ValidationError("--prometheus-query-param: '\(entry)' is not [ALIAS=]key=value")
            }
            guard !["query", "time", "timeout", "start", "end", "step"].contains(key) else {
                throw ValidationError("--prometheus-query-param: '\(key)' is set by the collector itself")
            }
            server.queryParameters.append(PrometheusServer.Field(name: key, value: value))
        }
        try each("prometheus-tenant-header", prometheusTenantHeader) { server, name in
            guard Self.isToken(name) else { throw ValidationError("--prometheus-tenant-header: '\(name)' is not a header name (letters, digits and -)") }
            server.tenantHeader = name
        }
        servers.defaultServer?.maximumAnswerSize = prometheusMaxAnswerSize.bytes
        for alias in servers.aliases.keys { servers.aliases[alias]?.maximumAnswerSize = prometheusMaxAnswerSize.bytes }
        for (name, server) in [("", servers.defaultServer)] + servers.aliases.map({ ($0.key, Optional($0.value)) }) {
            guard let server else { continue }
            if (server.tls.clientCertificate == nil) != (server.tls.clientKey == nil) {
                let which = name.isEmpty ? "the default server" : "alias \(name)"
                throw ValidationError("--prometheus-client-cert and --prometheus-client-key go together (\(which))")
            }
        }
        return servers
    }

    /// An HTTP header name (RFC 9110's token characters).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0)) }
    }

    private func split(_ entry: String) -> (String, String)? {
        guard let equals = entry.firstIndex(of: "=") else { return nil }
        return (String(entry[..<equals]), String(entry[entry.index(after: equals)...]))
    }
}

/// `30s`, `1m`, `1m30s` on the command line.
struct GoDuration: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        guard let duration = try? Duration(parsingGo: argument), duration > .zero else { return nil }
        self.duration = duration
    }

    init(_ duration: Duration) {
        self.duration = duration
    }

    var defaultValueDescription: String { PrometheusClient.goDuration(duration) }
}
