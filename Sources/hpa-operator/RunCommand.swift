import ArgumentParser
import Autoscaling
import Collector
import Foundation
import KubeClient
import KubeModel
import Logging
import MetricsServer
import Operator
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the operator: keep every annotated Deployment's and StatefulSet's HPA as its annotations say.",
        discussion: """
            Watches Deployments, StatefulSets and HorizontalPodAutoscalers and server-side applies the HPA each annotated workload asks for, only when the live one differs. HPAs not controlled by the workload are never touched (a Warning event HPAConflict says so); invalid annotations give a Warning event InvalidHPAAnnotations and leave the HPA as it is.

            Every replica also runs the collector: it watches all HPAs and runs the Prometheus queries their metric-config.* annotations name (kube-metrics-adapter's object, pods and external forms, and Banzai's prometheus-query form), once per interval for each distinct query. Results are kept fail closed: no data, several series, NaN or a Prometheus error are errors, never 0, and values older than --metrics-max-age are not served. An invalid metric config gives a Warning event InvalidMetricConfig on the HPA. With fallbackReplicas on the HPA, a metric failing for fallbackAfter is served as the value that makes the HPA controller propose that many replicas (events FallbackStarted, FallbackEnded).

            Workloads with minReplicas 0 are moved between 0 and 1 replicas by the leader, through the scale subresource, on their metrics' activation thresholds (events ScaledToZero, Activated); the HPA does the rest.

            Configuration comes from --kubeconfig, $KUBECONFIG, ~/.kube/config, or the pod's service account. SIGTERM or SIGINT stops intake, lets reconciles in progress finish, releases the leader lease and exits 0.
            """)

    @OptionGroup var cluster: KubeconfigOptions

    @Option(help: ArgumentHelp("Only watch this namespace (default: all namespaces).", valueName: "namespace"))
    var watchNamespace: String?

    @Option(name: .customLong("namespace"), help: deprecatedHelp)
    var deprecatedNamespace: String?

    @Option(help: "How prometheus metrics appear in HPAs: object, pod or external.")
    var metricStyle: MetricStyle = .object

    @Option(help: "Workloads reconciled at the same time when few changes wait.")
    var workers: Int = 2

    @Option(help: "Workloads reconciled at the same time while changes wait (initial sync, leader takeover).")
    var maxWorkers: Int = 32

    @Flag(help: "Elect a leader with a coordination.k8s.io/v1 Lease; only the leader writes HPAs.")
    var leaderElect = false

    @Option(help: ArgumentHelp("Namespace of the leader election Lease (default: the pod's namespace, else hpa-operator-system).", valueName: "namespace"))
    var leaderElectResourceNamespace: String?

    @Option(help: ArgumentHelp("Name of the leader election Lease.", valueName: "name"))
    var leaderElectResourceName: String = "hpa-operator"

    @Option(name: .customLong("leader-elect-namespace"), help: deprecatedHelp)
    var deprecatedLeaderElectNamespace: String?

    @Option(name: .customLong("leader-elect-id"), help: deprecatedHelp)
    var deprecatedLeaderElectId: String?

    @Option(help: "How long a Lease holds without renewal before another replica may take it.")
    var leaderElectLeaseDuration = GoDuration(.seconds(15))

    @Option(help: "How long the leader keeps leading without a successful renewal; it stops writing then, whatever the apiserver does.")
    var leaderElectRenewDeadline = GoDuration(.seconds(10))

    @Option(help: "How often the Lease is renewed, or tried for.")
    var leaderElectRetryPeriod = GoDuration(.seconds(2))

    @Option(help: "Address of the plain-HTTP port for /metrics, /healthz, /livez and /readyz; empty to disable.")
    var metricsBindAddress: String = ":8080"

    @Option(help: "Address of a further plain-HTTP port for /healthz, /livez and /readyz alone (kubebuilder's :8081); empty: none, the metrics port serves them.")
    var healthProbeBindAddress: String = ""

    @OptionGroup(title: "Collector")
    var prometheus: PrometheusOptions

    @OptionGroup(title: "Tenancy")
    var enforcement: NamespaceEnforcementOptions

    @OptionGroup(title: "Alertmanager")
    var alertmanager: AlertmanagerOptions

    @OptionGroup(title: "Alertmanager receiver")
    var alertmanagerReceiver: AlertmanagerReceiverOptions

    @Option(help: "How often a query runs when its annotation gives no interval (plus up to 10 % jitter).")
    var defaultInterval = GoDuration(.seconds(30))

    @Option(help: "How long a query may take; Prometheus is told as well.")
    var queryTimeout = GoDuration(.seconds(10))

    @Option(help: "Queries running at the same time.")
    var maxConcurrentQueries = 8

    @Option(help: ArgumentHelp("Never serve a value older than this (default: 3 × the query's interval).", valueName: "duration"))
    var metricsMaxAge: GoDuration?

    @Option(help: "Port of the HTTPS metrics API (custom.metrics.k8s.io, external.metrics.k8s.io); 0 picks a free one.")
    var securePort = 6443

    @Option(help: "Address the metrics API listens on.")
    var secureBindAddress = "0.0.0.0"

    @Option(help: ArgumentHelp("Serving certificate (PEM chain) for the metrics API, re-read when it changes.", valueName: "path"))
    var tlsCertFile: String?

    @Option(help: ArgumentHelp("Private key (PEM) of --tls-cert-file.", valueName: "path"))
    var tlsPrivateKeyFile: String?

    @Option(help: ArgumentHelp("A name for the generated serving certificate (repeatable; default: the hpa-operator Service's DNS names and localhost).", valueName: "name"))
    var tlsSan: [String] = []

    @Option(help: ArgumentHelp("Write the generated CA here (PEM), for an APIService caBundle.", valueName: "path"))
    var tlsCaOut: String?

    @Option(help: ArgumentHelp("Keep the generated certificate in this Secret of the pod's namespace, so every replica serves the same one.", valueName: "name"))
    var tlsSecret: String?

    @Flag(help: "Patch our serving CA into the caBundle of the three metrics APIServices, at start and every minute.")
    var manageApiserviceCaBundle = false

    @Option(
        help: ArgumentHelp(
            "An APIService this server answers for, whose caBundle --manage-apiservice-ca-bundle keeps (repeatable; default: all three). Leave one out when another adapter serves that group.",
            valueName: "name"))
    var apiservice: [String] = []

    @Option(help: ArgumentHelp("The ValidatingWebhookConfiguration whose caBundle --manage-apiservice-ca-bundle keeps with --admission-webhook.", valueName: "name"))
    var admissionWebhookConfiguration = APIServiceCABundle.webhookConfiguration

    @Option(help: ArgumentHelp("CA (PEM) that signs the kube-aggregator's client certificate (default: ConfigMap kube-system/extension-apiserver-authentication).", valueName: "path"))
    var requestheaderClientCaFile: String?

    @Option(help: ArgumentHelp("Common names allowed for that client certificate, comma-separated or repeated (default: the ConfigMap's list; empty allows any).", valueName: "names"))
    var requestheaderAllowedNames: [String] = []

    @Flag(help: "Serve POST /validate-workload on the secure port: an admission webhook that warns at kubectl apply about bad autoscaling annotations.")
    var admissionWebhook = false

    @Flag(help: "With --admission-webhook, refuse Deployments and StatefulSets with invalid autoscaling annotations instead of warning.")
    var admissionDenyInvalid = false

    @Flag(help: "Serve the metrics API to anyone: no client certificates are asked for. For local use only.")
    var insecureDisableAuthentication = false

    @Flag(name: .customLong("authentication-skip"), help: deprecatedHelp)
    var deprecatedAuthenticationSkip = false

    @Flag(
        inversion: .prefixedNo,
        help: "Serve per-metric signals on /metrics: each HPA metric's value, target, age and proposed replicas, and each HPA's winning metric and limit (one series per HPA metric).")
    var metricSignals = true

    @Option(help: "Log format: text or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    mutating func validate() throws {
        watchNamespace = deprecated(deprecatedNamespace, "--namespace", use: "--watch-namespace") ?? watchNamespace
        leaderElectResourceNamespace = deprecated(deprecatedLeaderElectNamespace, "--leader-elect-namespace", use: "--leader-elect-resource-namespace") ?? leaderElectResourceNamespace
        leaderElectResourceName = deprecated(deprecatedLeaderElectId, "--leader-elect-id", use: "--leader-elect-resource-name") ?? leaderElectResourceName
        if deprecatedAuthenticationSkip {
            insecureDisableAuthentication = deprecated(true, "--authentication-skip", use: "--insecure-disable-authentication") ?? true
        }
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if admissionDenyInvalid && !admissionWebhook { throw ValidationError("--admission-deny-invalid needs --admission-webhook") }
        if let unknown = apiservice.first(where: { !APIServiceCABundle.names.contains($0) }) {
            throw ValidationError("--apiservice: '\(unknown)' is not one this server answers for (\(APIServiceCABundle.names.joined(separator: ", ")))")
        }
        if maxWorkers < workers { throw ValidationError("--max-workers must be at least --workers (\(workers))") }
        if maxConcurrentQueries < 1 { throw ValidationError("--max-concurrent-queries must be at least 1") }
        if defaultInterval.duration < .seconds(1) { throw ValidationError("--default-interval must be at least 1s") }
        if !(0...65535).contains(securePort) { throw ValidationError("--secure-port must be a port number (0 picks a free one)") }
        if (tlsCertFile == nil) != (tlsPrivateKeyFile == nil) { throw ValidationError("--tls-cert-file and --tls-private-key-file go together") }
        if tlsCertFile != nil, tlsSecret != nil { throw ValidationError("--tls-secret stores a generated certificate; it does not go with --tls-cert-file") }
        if let problem = leaderElection(identity: "validation").problem {
            throw ValidationError("--leader-elect-lease-duration, --leader-elect-renew-deadline, --leader-elect-retry-period: \(problem)")
        }
        for (flag, address) in [("--metrics-bind-address", metricsBindAddress), ("--health-probe-bind-address", healthProbeBindAddress)] where !address.isEmpty && !address.contains(":") {
            throw ValidationError("\(flag) must look like :8080 or 127.0.0.1:8080")
        }
    }

    func run() async throws {
        let format = logFormat
        let level = logLevel
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, logLevel: level) }
        let logger = Logger(label: "hpa-operator")
        let config: ClientConfig
        do {
            config = try cluster.load()
        } catch {
            logger.critical("cannot configure the Kubernetes client", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("Kubernetes API", metadata: ["server": "\(config.server)", "from": "\(config.origin)"])
        var election: LeaderElector.Configuration?
        if leaderElect {
            let identity = "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())"
            let podNamespace = config.podNamespace
            election = leaderElection(identity: identity, podNamespace: podNamespace)
        }
        let servers = try prometheus.servers()
        if servers.defaultServer == nil {
            logger.notice("no --prometheus-server: only metrics whose annotations name a server URL or alias are collected")
        }
        let client = KubeClient(config: config)
        var configuration = Manager.Configuration(
            namespace: watchNamespace, style: metricStyle, workers: workers, maxWorkers: maxWorkers, leaderElection: election,
            metricsBindAddress: metricsBindAddress.isEmpty ? nil : metricsBindAddress, metricsIdleTimeout: ListenerLimits.idleTimeout)
        configuration.healthProbeBindAddress = healthProbeBindAddress.isEmpty ? nil : healthProbeBindAddress
        let instance = Manager(client: client, configuration: configuration, logger: logger)
        let collectorMetrics = CollectorMetrics(registry: instance.metrics.registry)
        let store = MetricStore(currentReplicas: { instance.currentReplicas(kind: $0.kind, namespace: $0.namespace, name: $0.name) })
        let alerts = alertBook(store: store, logger: logger)
        let collector = Collector(
            client: client,
            configuration: Collector.Configuration(
                namespace: watchNamespace, servers: servers,
                settings: CollectionSettings(
                    defaultInterval: defaultInterval.duration, queryTimeout: queryTimeout.duration, metricsMaxAge: metricsMaxAge?.duration,
                    enforcement: enforcement.enforcement),
                maxConcurrentQueries: maxConcurrentQueries),
            logger: logger, store: store, sharing: instance.cache.hpas, events: instance.events, metrics: collectorMetrics, alerts: alerts)
        instance.metrics.beforeScrape { collectorMetrics.update(from: store, now: Date()) }
        if metricSignals {
            instance.metrics.append { await MetricSignals.section(collector: collector, manager: instance, now: Date()) }
        }
        let zeroScaler = ZeroScaler(
            manager: instance, client: client,
            readings: { namespace, hpa in
                await collector.rawReadings(namespace: namespace, hpa: hpa).mapValues { reading in
                    switch reading {
                    case .success(let value): .value(value)
                    case .failure(let error): .failed(error.description)
                    }
                }
            }, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: instance), .init(service: collector), .init(service: zeroScaler)]
        if metricSignals { services.append(.init(service: SignalEventsService(collector: collector, manager: instance, logger: logger))) }
        let podNamespace = config.podNamespace
        let metricsServer: MetricsHTTPServer?
        do {
            let admission = admissionWebhook ? WorkloadAdmission(style: metricStyle, denyInvalid: admissionDenyInvalid) : nil
            let (server, helpers) = try await metricsAPI(
                store: collector.store, client: client, metrics: instance.metrics, admission: admission,
                namespace: podNamespace ?? "hpa-operator-system", isReady: { collector.hasSynced }, logger: logger)
            metricsServer = server
            services.append(.init(service: server))
            services += helpers.map { .init(service: $0) }
            if let alerts {
                if let url = alertmanager.alertmanagerUrl {
                    services.append(
                        .init(
                            service: AlertmanagerSync(
                                url: url, interval: alertmanager.alertmanagerInterval.duration, book: alerts, logger: logger,
                                maximumListSize: alertmanager.alertmanagerMaxListSize.bytes)))
                }
                if let receiver = alertReceiver(book: alerts, identity: server.configuration.identity, logger: logger) {
                    services.append(.init(service: receiver))
                }
            }
        } catch {
            logger.critical("cannot start the metrics API", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            // The first part that failed says why (the group only says that one ended).
            let reason = instance.failure.map(String.init(describing:)) ?? metricsServer?.failure.map(String.init(describing:)) ?? "\(error)"
            FileHandle.standardError.write(Data("Error: \(reason)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The alerts behind alertmanager metrics, when Alertmanager is a source (its API, webhooks or both).
    private func alertBook(store: MetricStore, logger: Logger) -> AlertBook? {
        let url = alertmanager.alertmanagerUrl
        let receives = !alertmanagerReceiver.alertmanagerBindAddress.isEmpty
        guard url != nil || receives else { return nil }
        if url == nil {
            logger.notice("alertmanager metrics come from webhooks alone (no --alertmanager-url): each replica knows only the webhooks it received, and after a start nothing until the next one")
        }
        return AlertBook(store: store, maxListAge: url == nil ? nil : alertmanager.maxListAge)
    }

    private func alertReceiver(book: AlertBook, identity: ServingIdentity, logger: Logger) -> AlertmanagerReceiver? {
        let options = alertmanagerReceiver
        guard let (host, port) = ListenAddress.parse(options.alertmanagerBindAddress) else { return nil }
        let webhook = AlertWebhook(tokenFile: options.alertmanagerTokenFile)
        return AlertmanagerReceiver(
            configuration: AlertmanagerReceiver.Configuration(
                host: host, port: port, webhook: webhook, identity: options.alertmanagerTls ? identity : nil,
                clientCAFile: options.alertmanagerClientCaFile),
            book: book, logger: logger)
    }

    private func leaderElection(identity: String, podNamespace: String? = nil) -> LeaderElector.Configuration {
        LeaderElector.Configuration(
            namespace: leaderElectResourceNamespace ?? podNamespace ?? "hpa-operator-system", name: leaderElectResourceName, identity: identity,
            leaseDuration: leaderElectLeaseDuration.duration, renewDeadline: leaderElectRenewDeadline.duration,
            retryPeriod: leaderElectRetryPeriod.duration)
    }

    /// The HTTPS metrics API: its serving identity (files, or generated and logged) and its
    /// client authentication (the requestheader CA, kept fresh by the returned refresher).
    private func metricsAPI(
        store: MetricStore, client: KubeClient, metrics: OperatorMetrics, admission: WorkloadAdmission?, namespace: String,
        isReady: @escaping @Sendable () -> Bool, logger: Logger
    ) async throws -> (MetricsHTTPServer, [any Service]) {
        var helpers: [any Service] = []
        let identity: ServingIdentity
        if let tlsCertFile, let tlsPrivateKeyFile {
            identity = try ServingIdentity(certificateFile: tlsCertFile, keyFile: tlsPrivateKeyFile)
            if manageApiserviceCaBundle {
                logger.notice("--manage-apiservice-ca-bundle applies to generated certificates; with --tls-cert-file the APIServices' caBundle is yours to set")
            }
        } else {
            let service = "hpa-operator"
            let names =
                tlsSan.isEmpty
                ? [service, "\(service).\(namespace)", "\(service).\(namespace).svc", "\(service).\(namespace).svc.cluster.local", "localhost"] : tlsSan
            let generated = try await GeneratedServingCertificate.start(
                tlsSecret.map { .secret(client, namespace: namespace, name: $0) } ?? .memory,
                configuration: GeneratedServingCertificate.Configuration(names: names), logger: logger)
            identity = generated.identity
            helpers.append(generated)
            let caPEM = generated.caPEM
            logger.info(
                "the metrics API uses a generated certificate, renewed before it expires; the APIServices' caBundle must hold this CA",
                metadata: [
                    "names": "\(names.joined(separator: ","))", "secret": "\(tlsSecret ?? "(none)")", "ca": "\(caPEM)",
                    "expires": "\(generated.expiry.map { Timestamp.rfc3339($0) } ?? "?")",
                ])
            if manageApiserviceCaBundle {
                helpers.append(
                    APIServiceCABundle(
                        client: client, caPEM: { generated.caPEM }, webhook: admission != nil,
                        apiServices: apiservice.isEmpty ? APIServiceCABundle.names : apiservice,
                        webhookConfiguration: admissionWebhookConfiguration, logger: logger))
            }
            if let tlsCaOut {
                do { try caPEM.write(toFile: tlsCaOut, atomically: true, encoding: .utf8) } catch {
                    throw ValidationError("--tls-ca-out: cannot write \(tlsCaOut): \(error.localizedDescription)")
                }
            }
        }
        var authentication = MetricsHTTPServer.Authentication.skip
        if !insecureDisableAuthentication {
            let authorities = try ClientCertificateAuthorities()
            let source: ClientCARefresher.Source = requestheaderClientCaFile.map { .file($0) } ?? .configMap(client)
            let allowed = requestheaderAllowedNames.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            let caRefresher = ClientCARefresher(source: source, authorities: authorities, allowedNames: allowed.isEmpty ? nil : allowed, logger: logger)
            do {
                try await caRefresher.refresh()
            } catch {
                // Fail closed: every metrics request gets 401, and /readyz is not ready, until the CA can be read.
                logger.error(
                    "cannot read the requestheader client CA; the metrics API refuses every request until it can (retried every minute)",
                    metadata: ["error": "\(error)"])
            }
            authentication = .requestHeader(authorities)
            helpers.append(caRefresher)
        }
        let apiMetrics = MetricsAPIMetrics(registry: metrics.registry)
        metrics.beforeScrape { apiMetrics.servingCertificateExpires(identity.expiry) }
        let server = MetricsHTTPServer(
            api: MetricsAPI(store: store),
            configuration: MetricsHTTPServer.Configuration(
                host: secureBindAddress, port: securePort, identity: identity, authentication: authentication,
                admission: admission?.review),
            metrics: apiMetrics, isReady: isReady, logger: logger)
        return (server, helpers)
    }
}
