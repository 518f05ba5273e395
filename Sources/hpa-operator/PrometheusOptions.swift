import ArgumentParser
import Collector
import HTTPTransport
import KubeModel

/// Where Prometheus is and how to authenticate, shared by `run`, `query` and `preview`.
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

    @Flag(help: "Let prometheus-server annotations name any URL, not only a configured server's (never with credentials). Off: whoever may annotate an HPA could make every replica fetch any URL.")
    var allowAnnotationPrometheusUrls = false

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
        func each(_ flag: String, _ values: [String], _ apply: (inout PrometheusServer, String) -> Void) throws {
            for entry in values {
                var alias: String?
                var path = entry
                if let (name, rest) = split(entry), servers.aliases[name] != nil {
                    alias = name
                    path = rest
                }
                if let alias {
                    apply(&servers.aliases[alias]!, path)
                } else if servers.defaultServer != nil {
                    apply(&servers.defaultServer!, path)
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
        for (name, server) in [("", servers.defaultServer)] + servers.aliases.map({ ($0.key, Optional($0.value)) }) {
            guard let server else { continue }
            if (server.tls.clientCertificate == nil) != (server.tls.clientKey == nil) {
                let which = name.isEmpty ? "the default server" : "alias \(name)"
                throw ValidationError("--prometheus-client-cert and --prometheus-client-key go together (\(which))")
            }
        }
        return servers
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
