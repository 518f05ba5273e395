import Foundation
import KubeModel
import PromQL

/// Collection defaults from the command line.
public struct CollectionSettings: Sendable, Hashable {
    public var defaultInterval: Duration
    public var queryTimeout: Duration
    /// nil: three times each query's interval.
    public var metricsMaxAge: Duration?
    /// `--enforce-namespace-label`: each query runs inside its HPA's namespace.
    public var enforcement: NamespaceEnforcement?

    public init(
        defaultInterval: Duration = .seconds(30), queryTimeout: Duration = .seconds(10), metricsMaxAge: Duration? = nil,
        enforcement: NamespaceEnforcement? = nil
    ) {
        self.defaultInterval = defaultInterval
        self.queryTimeout = queryTimeout
        self.metricsMaxAge = metricsMaxAge
        self.enforcement = enforcement
    }
}

/// The object whose replicas a per-replica value is divided by (the HPA's scale target).
public struct ScaleTarget: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var kind: String
    public var name: String
    public var apiVersion: String?

    public init(namespace: String, kind: String, name: String, apiVersion: String?) {
        self.namespace = namespace
        self.kind = kind
        self.name = name
        self.apiVersion = apiVersion
    }

    public var description: String { "\(kind)/\(name)" }
}

/// One metric of one HPA to collect: which query, where, how often, and where its value goes.
public struct PlannedMetric: Hashable, Sendable {
    /// Which entry of the HPA's `spec.metrics` this is.
    public var specIndex: Int
    public var key: MetricKey
    public var server: PrometheusServer
    public var query: String
    public var interval: Duration
    public var timeout: Duration
    /// Values older than this are never served.
    public var maxAge: Duration
    /// Divide the value by this target's replicas (`per-replica: "true"`).
    public var perReplica: ScaleTarget?
    /// The annotation holding the query, for problems about this metric.
    public var annotation: String = ""
    /// The HPA's scale target (pods metrics serve the pods its selector names).
    public var scaleTarget: ScaleTarget?
    /// The metric's own name: the query name of Banzai's `prometheus-query` form, else the
    /// metric's (what the workload's `prometheus.<m>` annotations call it).
    public var name: String = ""
    /// What to serve while the metric fails (the HPA's `fallbackReplicas`).
    public var fallback: FallbackRule?
}

/// One alertmanager metric of one HPA: which alerts make its value, and where it goes.
public struct PlannedAlert: Hashable, Sendable {
    /// Its place in the HPA's `spec.metrics`.
    public var specIndex: Int
    public var key: MetricKey
    public var selector: AlertState.Selector
    /// The metric's name in the HPA.
    public var name: String
    /// The annotation naming the alerts, for problems about this metric.
    public var annotation: String
    public var fallback: FallbackRule?
}

/// An annotation the collector cannot use, named by its key.
public struct PlanProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Error, Hashable, Sendable, CustomStringConvertible {
        case noServer
        case unknownAlias(String, known: [String])
        case unconfiguredURL(String, aliases: [String])
        case invalidDuration(String)
        case tooShort(String, minimum: String)
        case invalidReplicas(String)
        case emptyQuery
        case invalidQuery(String)
        case refusedQuery(String)
        case missingAlertname
        case invalidMatchLabels(String)
        case invalidLabelName(String)
        case noAlertSource
        case perReplicaOnPods
        case claimedByAnother(hpa: String, metric: String)
        /// The query uses what the server's release does not have.
        case needsNewerPrometheus([QueryRequirement], server: String, version: PrometheusVersion)
        /// A warning: `per-replica` with a value that is not true divides all the same.
        case perReplicaByPresence(String)
        /// A warning: the metric's config is for a kube-metrics-adapter collector we do not run.
        case unsupportedCollector(String, metric: String)

        /// Whether the metric is collected all the same (the problem is said, not fatal).
        public var isWarning: Bool {
            switch self {
            case .perReplicaByPresence, .unsupportedCollector: true
            default: false
            }
        }

        public var description: String {
            switch self {
            case .noServer:
                return "no Prometheus server: start the collector with --prometheus-server or set the prometheus-server annotation"
            case .unknownAlias(let name, let known):
                let list = known.isEmpty ? "none are configured" : "known: \(known.joined(separator: ", "))"
                return "'\(name)' is neither an http(s) URL nor a --prometheus-server-alias name (\(list))"
            case .unconfiguredURL(let url, let aliases):
                let names = aliases.isEmpty ? "" : " or an alias (\(aliases.joined(separator: ", ")))"
                return
                    "'\(ExternalText.sanitized(url, limit: 120))' is not a configured Prometheus server: name the --prometheus-server URL\(names), or start the operator with --allow-annotation-prometheus-urls"
            case .invalidDuration(let text):
                return "'\(text)' is not a duration (examples: 30s, 1m, 1m30s)"
            case .tooShort(let text, let minimum):
                return "'\(text)' is shorter than \(minimum), the least hpa-operator takes (kube-metrics-adapter takes less, but the HPA controller reads metrics every 15s): write \(minimum) or more"
            case .invalidReplicas(let text):
                return "'\(ExternalText.sanitized(text, limit: 40))' is not a whole number of replicas, at least 1; no fallback is served"
            case .emptyQuery:
                return "the query is empty"
            case .invalidQuery(let problem), .refusedQuery(let problem):
                return problem
            case .missingAlertname:
                return "an alertmanager metric needs an alertname"
            case .invalidMatchLabels(let problem):
                return problem
            case .invalidLabelName(let name):
                return "'\(ExternalText.sanitized(name, limit: 60))' is not a label name (letters, digits and '_', not starting with a digit)"
            case .noAlertSource:
                return "this operator has no Alertmanager source: start it with --alertmanager-url (and --alertmanager-bind-address for webhooks)"
            case .claimedByAnother(let hpa, let metric):
                return "HPA \(hpa) already fills the metric \(metric) with another query, so this one is not collected (\(hpa) keeps its value): give the metric another name, or the same query"
            case .perReplicaOnPods:
                return "per-replica does not apply to pods metrics (each pod already has its own value)"
            case .needsNewerPrometheus(let requirements, let server, let version):
                return requirements.map(\.description).joined(separator: "; ") + ": \(server) is Prometheus \(version), so the query would fail at every collection"
            case .perReplicaByPresence(let text):
                return
                    "'\(ExternalText.sanitized(text, limit: 40))' divides by the scale target's replicas all the same: kube-metrics-adapter reads the key's presence, not its value, and so does hpa-operator; remove the key to serve the total"
            case .unsupportedCollector(let collector, let metric):
                return
                    "hpa-operator does not run kube-metrics-adapter's \(ExternalText.sanitized(collector, limit: 40)) collector, so metric \(metric) is not served: give it a prometheus query, or leave it to kube-metrics-adapter"
            }
        }
    }

    /// The annotation key at fault.
    public var annotation: String
    public var reason: Reason

    public var description: String { "\(annotation): \(reason)" }
}

/// What one HPA asks the collector for.
public struct MetricPlan: Hashable, Sendable {
    public var metrics: [PlannedMetric]
    public var alerts: [PlannedAlert]
    /// Problems (those not `isWarning` keep their metric from being collected) and warnings.
    public var problems: [PlanProblem]
    /// Metrics whose config names a kube-metrics-adapter collector we do not run, by collector:
    /// the metrics API says so for them.
    public var unsupported: [MetricKey: String]

    public init(metrics: [PlannedMetric], alerts: [PlannedAlert] = [], problems: [PlanProblem], unsupported: [MetricKey: String] = [:]) {
        self.metrics = metrics
        self.alerts = alerts
        self.problems = problems
        self.unsupported = unsupported
    }
}

/// Reads an HPA's `metric-config.*` annotations against its `spec.metrics` (README, "The collector"). Pure.
public enum MetricPlanner {
    /// - Parameter alertSource: whether alertmanager metrics can be served (the operator reads Alertmanager).
    /// - Parameter versions: the releases of the servers, by URL, where known: a query using what
    ///   its server does not have is a problem now rather than an error at every collection.
    public static func plan(
        _ hpa: HorizontalPodAutoscaler, servers: PrometheusServers, settings: CollectionSettings, alertSource: Bool = false,
        versions: [String: PrometheusVersion] = [:]
    ) -> MetricPlan {
        let namespace = hpa.metadata.namespace ?? "default"
        var configs: [ConfigName: [String: String]] = [:]
        var alertConfigs: [String: [String: String]] = [:]
        /// kube-metrics-adapter's other collectors (json-path, http, influxdb…): the first key of each.
        var foreignConfigs: [ConfigName: MetricConfigKey] = [:]
        for (annotation, value) in hpa.metadata.annotations ?? [:] {
            guard let key = MetricConfigKey(parsing: annotation) else { continue }
            if key.collector == MetricConfigKey.prometheusCollector {
                configs[ConfigName(type: key.type, metric: key.metric), default: [:]][key.key] = value
            } else if key.collector == MetricConfigKey.alertmanagerCollector, key.type == .external {
                alertConfigs[key.metric, default: [:]][key.key] = value
            } else if foreignConfigs[ConfigName(type: key.type, metric: key.metric)].map({ key.description < $0.description }) ?? true {
                foreignConfigs[ConfigName(type: key.type, metric: key.metric)] = key
            }
        }
        var unsupported: [MetricKey: String] = [:]
        var metrics: [PlannedMetric] = []
        var alerts: [PlannedAlert] = []
        var problems: [PlanProblem] = []
        let target = hpa.spec.scaleTargetRef
        let scaleTarget = ScaleTarget(namespace: namespace, kind: target.kind, name: target.name, apiVersion: target.apiVersion)
        let fallback = fallbackSettings(hpa.metadata.annotations ?? [:], problems: &problems)
        for (specIndex, spec) in (hpa.spec.metrics ?? []).enumerated() {
            let source: (config: ConfigName, queryKey: String, key: MetricKey)
            var metricTarget: MetricTarget?
            if let object = spec.object, spec.type == .object {
                metricTarget = object.target
                let described = object.describedObject
                source = (
                    ConfigName(type: .object, metric: object.metric.name), MetricConfigKey.query,
                    .object(
                        ObjectMetricKey(
                            namespace: namespace, resource: GroupResource(kind: described.kind, apiVersion: described.apiVersion),
                            name: described.name, metric: object.metric.name, labels: object.metric.selector?.matchLabels ?? [:],
                            kind: described.kind, apiVersion: described.apiVersion ?? "v1"))
                )
            } else if let pods = spec.pods, spec.type == .pods {
                source = (
                    ConfigName(type: .pods, metric: pods.metric.name), MetricConfigKey.query,
                    .pods(PodsMetricKey(namespace: namespace, metric: pods.metric.name, target: "\(target.kind)/\(target.name)"))
                )
            } else if let external = spec.external, spec.type == .external {
                metricTarget = external.target
                let labels = external.metric.selector?.matchLabels ?? [:]
                let key = MetricKey.external(ExternalMetricKey(namespace: namespace, metric: external.metric.name, labels: labels))
                if let config = alertConfigs[external.metric.name] {
                    // Alerts have no interval of their own: the default one stands in.
                    let rule = fallback.flatMap { rule in
                        Self.fallbackTarget(external.target).map { target in
                            FallbackRule(
                                replicas: rule.replicas, after: rule.after ?? settings.defaultInterval * 3, target: target, hpa: hpa.metadata.key,
                                metric: external.metric.name, scaleTarget: scaleTarget)
                        }
                    }
                    if let alert = plannedAlert(external.metric.name, config, key: key, scaleTarget: scaleTarget, alertSource: alertSource, problems: &problems) {
                        alerts.append(PlannedAlert(specIndex: specIndex, key: key, selector: alert.selector, name: external.metric.name, annotation: alert.annotation, fallback: rule))
                    }
                    continue
                }
                if external.metric.name == ExternalQuery.metricName, let name = labels[ExternalQuery.selectorLabel] {
                    // Banzai 0.2: the query sits under the query name, in the shared prometheus-query config.
                    source = (ConfigName(type: .external, metric: ExternalQuery.metricName), name, key)
                } else {
                    source = (ConfigName(type: .external, metric: external.metric.name), MetricConfigKey.query, key)
                }
            } else {
                continue
            }
            guard let config = configs[source.config], let query = config[source.queryKey] else {
                if let foreign = foreignConfigs[source.config] {
                    problems.append(PlanProblem(annotation: foreign.description, reason: .unsupportedCollector(foreign.collector, metric: source.config.metric)))
                    unsupported[source.key] = foreign.collector
                }
                continue
            }
            let annotationKey = { (key: String) in
                MetricConfigKey(type: source.config.type, metric: source.config.metric, key: key).description
            }
            let before = problems.filter { !$0.reason.isWarning }.count
            var sent = query
            var requirements: [QueryRequirement] = []
            if query.allSatisfy(\.isWhitespace) {
                problems.append(PlanProblem(annotation: annotationKey(source.queryKey), reason: .emptyQuery))
            } else {
                switch read(query, namespace: namespace, enforcement: settings.enforcement) {
                case .success(let read): (sent, requirements) = read
                case .failure(let reason): problems.append(PlanProblem(annotation: annotationKey(source.queryKey), reason: reason))
                }
            }
            let interval = duration(config[MetricConfigKey.interval], default: settings.defaultInterval, annotation: annotationKey(MetricConfigKey.interval), problems: &problems)
            let timeout = duration(config[MetricConfigKey.timeout], default: settings.queryTimeout, annotation: annotationKey(MetricConfigKey.timeout), problems: &problems)
            // As kube-metrics-adapter: the key's presence divides, whatever its value ("false" too,
            // which is said).
            let perReplica = config[MetricConfigKey.perReplica] != nil
            if let text = config[MetricConfigKey.perReplica] {
                if case .pods = source.key {
                    problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.perReplica), reason: .perReplicaOnPods))
                } else if parseBool(text) != true {
                    problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.perReplica), reason: .perReplicaByPresence(text)))
                }
            }
            var server: PrometheusServer?
            let serverKey =
                config[MetricConfigKey.prometheusServer] == nil && config[MetricConfigKey.prometheusServerAlias] != nil
                ? MetricConfigKey.prometheusServerAlias : MetricConfigKey.prometheusServer
            switch serverKey == MetricConfigKey.prometheusServer ? servers.resolve(config[serverKey]) : servers.resolve(alias: config[serverKey] ?? "") {
            case .success(let resolved): server = resolved.forNamespace(namespace)
            case .failure(let reason): problems.append(PlanProblem(annotation: annotationKey(serverKey), reason: reason))
            }
            if let server, let version = versions[server.url], case let unmet = requirements.filter({ version < $0.since }), !unmet.isEmpty {
                problems.append(PlanProblem(annotation: annotationKey(source.queryKey), reason: .needsNewerPrometheus(unmet, server: server.url, version: version)))
            }
            guard problems.filter({ !$0.reason.isWarning }).count == before, let server else { continue }
            let name = source.queryKey == MetricConfigKey.query ? source.config.metric : source.queryKey
            let rule = fallback.flatMap { settings in
                metricTarget.flatMap(Self.fallbackTarget).map { target in
                    FallbackRule(replicas: settings.replicas, after: settings.after ?? interval * 3, target: target, hpa: hpa.metadata.key, metric: name, scaleTarget: scaleTarget)
                }
            }
            metrics.append(
                PlannedMetric(
                    specIndex: specIndex, key: source.key, server: server, query: sent, interval: interval, timeout: timeout,
                    maxAge: settings.metricsMaxAge ?? interval * 3, perReplica: perReplica ? scaleTarget : nil, annotation: annotationKey(source.queryKey), scaleTarget: scaleTarget,
                    name: name, fallback: rule))
        }
        return MetricPlan(metrics: metrics, alerts: alerts, problems: problems.sorted { $0.annotation < $1.annotation }, unsupported: unsupported)
    }

    static let minimumDuration = Duration.seconds(1)

    /// The query as it is sent: as written, or rewritten to stay in its namespace; or why it cannot run.
    public static func checked(_ query: String, namespace: String, enforcement: NamespaceEnforcement?) -> Result<String, PlanProblem.Reason> {
        read(query, namespace: namespace, enforcement: enforcement).map(\.sent)
    }

    /// The same, with what the query needs of its Prometheus's release.
    static func read(_ query: String, namespace: String, enforcement: NamespaceEnforcement?) -> Result<(sent: String, requirements: [QueryRequirement]), PlanProblem.Reason> {
        let expression: Expr
        do { expression = try PromQL.parseMetricQuery(query) } catch { return .failure(.invalidQuery(error.description)) }
        // Exempt namespaces send the text as written, not our printing of it.
        guard let enforcement, enforcement.covers(namespace) else { return .success((query, expression.requirements)) }
        do { return .success((try enforcement.enforce(expression, namespace: namespace).description, expression.requirements)) } catch {
            return .failure(.refusedQuery(error.description))
        }
    }

    /// Which alerts an alertmanager metric config names, or its problems.
    private static func plannedAlert(
        _ metric: String, _ config: [String: String], key: MetricKey, scaleTarget: ScaleTarget, alertSource: Bool,
        problems: inout [PlanProblem]
    ) -> (selector: AlertState.Selector, annotation: String)? {
        let annotationKey = { (key: String) in
            MetricConfigKey(type: .external, metric: metric, collector: MetricConfigKey.alertmanagerCollector, key: key).description
        }
        let before = problems.count
        let alertname = config[MetricConfigKey.alertname]?.trimmingCharacters(in: .whitespaces) ?? ""
        if alertname.isEmpty { problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.alertname), reason: .missingAlertname)) }
        var matchLabels: [String: String] = [:]
        if let text = config[MetricConfigKey.matchLabels] {
            switch AlertLabels.parse(text) {
            case .success(let labels): matchLabels = labels
            case .failure(let problem): problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.matchLabels), reason: .invalidMatchLabels(problem.description)))
            }
        }
        let workloadLabel = config[MetricConfigKey.workloadLabel]?.trimmingCharacters(in: .whitespaces) ?? scaleTarget.kind.lowercased()
        if !AlertLabels.isValidName(workloadLabel) {
            problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.workloadLabel), reason: .invalidLabelName(workloadLabel)))
        }
        if !alertSource { problems.append(PlanProblem(annotation: annotationKey(MetricConfigKey.alertname), reason: .noAlertSource)) }
        guard problems.count == before else { return nil }
        let selector = AlertState.Selector(
            alertname: alertname, namespace: scaleTarget.namespace, workloadLabel: workloadLabel,
            workload: scaleTarget.name, matchLabels: matchLabels)
        return (selector, annotationKey(MetricConfigKey.alertname))
    }

    /// The HPA's `fallbackReplicas` and `fallbackAfter` (nil after: 3 × each metric's interval).
    private static func fallbackSettings(_ annotations: [String: String], problems: inout [PlanProblem]) -> (replicas: Int32, after: Duration?)? {
        guard let text = annotations[OperatorAnnotations.fallbackReplicas] else { return nil }
        guard let replicas = Int32(text.trimmingCharacters(in: .whitespaces)), replicas >= 1 else {
            problems.append(PlanProblem(annotation: OperatorAnnotations.fallbackReplicas, reason: .invalidReplicas(text)))
            return nil
        }
        guard let after = annotations[OperatorAnnotations.fallbackAfter] else { return (replicas, nil) }
        let count = problems.count
        let duration = duration(after, default: .zero, annotation: OperatorAnnotations.fallbackAfter, problems: &problems)
        return problems.count == count ? (replicas, duration) : nil
    }

    /// Pods metrics have no fallback: their values are per pod, and a failing query names no pods.
    private static func fallbackTarget(_ target: MetricTarget) -> FallbackRule.Target? {
        switch target.type {
        case .value: target.value.map(FallbackRule.Target.value)
        case .averageValue: target.averageValue.map(FallbackRule.Target.averageValue)
        default: nil
        }
    }

    private struct ConfigName: Hashable {
        var type: MetricConfigKey.MetricType
        var metric: String
    }

    private static func duration(_ text: String?, default fallback: Duration, annotation: String, problems: inout [PlanProblem]) -> Duration {
        guard let text else { return fallback }
        guard let value = try? Duration(parsingGo: text) else {
            problems.append(PlanProblem(annotation: annotation, reason: .invalidDuration(text)))
            return fallback
        }
        guard value >= minimumDuration else {
            problems.append(PlanProblem(annotation: annotation, reason: .tooShort(text, minimum: "1s")))
            return fallback
        }
        return value
    }

    /// Go's `strconv.ParseBool`: which values of `per-replica` say what they do.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": return true
        case "0", "f", "F", "false", "FALSE", "False": return false
        default: return nil
        }
    }
}
