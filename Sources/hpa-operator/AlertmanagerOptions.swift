import ArgumentParser
import Collector
import KubeModel

/// Where Alertmanager's alerts come from, for alertmanager metrics: its API (`run`, `preview`).
struct AlertmanagerOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Alertmanager's URL: its alerts (GET /api/v2/alerts) are read at start and every --alertmanager-interval, for alertmanager metrics.",
            valueName: "url"))
    var alertmanagerUrl: String?

    @Option(help: ArgumentHelp("How often Alertmanager's alerts are read; when the last read is 3 times this old, alertmanager metrics are errors.", valueName: "duration"))
    var alertmanagerInterval = GoDuration(.seconds(15))

    @Option(help: ArgumentHelp("The largest alert list read from Alertmanager; past it the read is aborted and fails saying so (16Mi, or bytes).", valueName: "size"))
    var alertmanagerMaxListSize = ByteSize(AlertmanagerSync.defaultMaximumListSize)

    func validate() throws {
        if let alertmanagerUrl, !(alertmanagerUrl.hasPrefix("http://") || alertmanagerUrl.hasPrefix("https://")) {
            throw ValidationError("--alertmanager-url must be an http:// or https:// URL")
        }
        if alertmanagerInterval.duration < .seconds(1) { throw ValidationError("--alertmanager-interval must be at least 1s") }
    }

    /// How old the last list may be before values are errors.
    var maxListAge: Duration { alertmanagerInterval.duration * 3 }
}

/// `run`'s webhook receiver.
struct AlertmanagerReceiverOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve POST /alertmanager/webhook here (:9095, 0.0.0.0:9095) for Alertmanager's webhook_config; empty: no receiver.",
            valueName: "address"))
    var alertmanagerBindAddress = ""

    @Option(help: ArgumentHelp("The bearer token webhooks must carry (Alertmanager: http_config.authorization), re-read for each request.", valueName: "path"))
    var alertmanagerTokenFile: String?

    @Flag(help: "Serve the receiver over HTTPS, with the metrics API's serving certificate.")
    var alertmanagerTls = false

    @Option(
        help: ArgumentHelp(
            "With --alertmanager-tls: webhooks must come with a client certificate this CA (PEM) signed (Alertmanager: http_config.tls_config.cert_file).",
            valueName: "path"))
    var alertmanagerClientCaFile: String?

    func validate() throws {
        if alertmanagerBindAddress.isEmpty {
            if alertmanagerTokenFile != nil || alertmanagerTls || alertmanagerClientCaFile != nil {
                throw ValidationError("--alertmanager-token-file, --alertmanager-tls and --alertmanager-client-ca-file configure the receiver: give --alertmanager-bind-address")
            }
            return
        }
        if ListenAddress.parse(alertmanagerBindAddress) == nil { throw ValidationError("--alertmanager-bind-address must look like :9095 or 127.0.0.1:9095") }
        if alertmanagerClientCaFile != nil, !alertmanagerTls { throw ValidationError("--alertmanager-client-ca-file needs --alertmanager-tls") }
        guard alertmanagerTokenFile != nil || alertmanagerClientCaFile != nil else {
            throw ValidationError("the Alertmanager receiver needs authentication: --alertmanager-token-file, or --alertmanager-tls with --alertmanager-client-ca-file")
        }
        if let alertmanagerTokenFile, AlertWebhook.token(inFile: alertmanagerTokenFile) == nil {
            throw ValidationError("--alertmanager-token-file \(alertmanagerTokenFile) cannot be read or is empty")
        }
    }
}
