import ArgumentParser
import Autoscaling
import Collector
import Foundation
import KubeClient
import Logging
import Operator
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the operator: keep every annotated Deployment's and StatefulSet's HPA as its annotations say.",
        discussion: """
            Watches Deployments, StatefulSets and HorizontalPodAutoscalers and server-side applies the HPA each annotated workload asks for, only when the live one differs. HPAs not controlled by the workload are never touched (a Warning event HPAConflict says so); invalid annotations give a Warning event InvalidHPAAnnotations and leave the HPA as it is.

            Every replica also runs the collector: it watches all HPAs and runs the Prometheus queries their metric-config.* annotations name (kube-metrics-adapter's object, pods and external forms, and Banzai's prometheus-query form), once per interval for each distinct query. Results are kept fail closed: no data, several series, NaN or a Prometheus error are errors, never 0, and values older than --metrics-max-age are not served. An invalid metric config gives a Warning event InvalidMetricConfig on the HPA.

            Configuration comes from --kubeconfig, $KUBECONFIG, ~/.kube/config, or the pod's service account. SIGTERM or SIGINT stops intake, lets reconciles in progress finish, releases the leader lease and exits 0.
            """)

    @Option(help: "Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(help: "Only watch this namespace (default: all namespaces).")
    var namespace: String?

    @Option(help: "How prometheus metrics appear in HPAs: object, pod or external.")
    var metricStyle: MetricStyle = .object

    @Option(help: "Workloads reconciled at the same time.")
    var workers: Int = 2

    @Flag(help: "Elect a leader with a coordination.k8s.io/v1 Lease; only the leader writes HPAs.")
    var leaderElect = false

    @Option(help: "Namespace of the leader election Lease (default: the pod's namespace, else hpa-operator-system).")
    var leaderElectNamespace: String?

    @Option(help: "Name of the leader election Lease.")
    var leaderElectId: String = "hpa-operator"

    @Option(help: "Address of the plain-HTTP port for /metrics, /healthz, /livez and /readyz; empty to disable.")
    var metricsBindAddress: String = ":8080"

    @OptionGroup(title: "Collector")
    var prometheus: PrometheusOptions

    @Option(help: "How often a query runs when its annotation gives no interval (plus up to 10 % jitter).")
    var defaultInterval = GoDuration(.seconds(30))

    @Option(help: "How long a query may take; Prometheus is told as well.")
    var queryTimeout = GoDuration(.seconds(10))

    @Option(help: "Queries running at the same time.")
    var maxConcurrentQueries = 8

    @Option(help: ArgumentHelp("Never serve a value older than this (default: 3 × the query's interval).", valueName: "duration"))
    var metricsMaxAge: GoDuration?

    @Option(help: "Log format: text or json (one object per line).")
    var logFormat: LogFormat = .text

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if maxConcurrentQueries < 1 { throw ValidationError("--max-concurrent-queries must be at least 1") }
        if defaultInterval.duration < .seconds(1) { throw ValidationError("--default-interval must be at least 1s") }
        if !metricsBindAddress.isEmpty, !metricsBindAddress.contains(":") {
            throw ValidationError("--metrics-bind-address must look like :8080 or 127.0.0.1:8080")
        }
    }

    func run() async throws {
        let format = logFormat
        let level = logLevel
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, logLevel: level) }
        let logger = Logger(label: "hpa-operator")
        let config: ClientConfig
        do {
            config = try KubeConfigLoader.load(kubeconfig: kubeconfig, context: context)
        } catch {
            logger.critical("cannot configure the Kubernetes client", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("Kubernetes API", metadata: ["server": "\(config.server)", "from": "\(config.origin)"])
        var election: LeaderElector.Configuration?
        if leaderElect {
            let identity = "\(ProcessInfo.processInfo.hostName)_\(UUID().uuidString.prefix(8).lowercased())"
            let podNamespace = config.origin == "in-cluster" ? config.namespace : nil
            election = LeaderElector.Configuration(namespace: leaderElectNamespace ?? podNamespace ?? "hpa-operator-system", name: leaderElectId, identity: identity)
        }
        let servers = try prometheus.servers()
        if servers.defaultServer == nil {
            logger.notice("no --prometheus-server: only metrics whose annotations name a server URL or alias are collected")
        }
        let client = KubeClient(config: config)
        let instance = Operator(
            client: client,
            configuration: Operator.Configuration(
                namespace: namespace, style: metricStyle, workers: workers, leaderElection: election,
                metricsBindAddress: metricsBindAddress.isEmpty ? nil : metricsBindAddress),
            logger: logger)
        let collector = Collector(
            client: client,
            configuration: Collector.Configuration(
                namespace: namespace, servers: servers,
                settings: CollectionSettings(defaultInterval: defaultInterval.duration, queryTimeout: queryTimeout.duration, metricsMaxAge: metricsMaxAge?.duration),
                maxConcurrentQueries: maxConcurrentQueries),
            logger: logger, sharing: instance.hpas)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: instance), .init(service: collector)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
