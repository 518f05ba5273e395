import KubeModel

/// Every workload annotation key the operator reads, and the label it writes: the one place
/// that knows their names (README, "Annotating a workload").
public enum AnnotationKeys {
    public static let domain = OperatorAnnotations.domain

    public static let minReplicas = "\(domain)/minReplicas"
    public static let maxReplicas = "\(domain)/maxReplicas"
    public static let scaleUpStabilizationWindow = "\(domain)/scaleUpStabilizationWindowSeconds"
    public static let scaleDownStabilizationWindow = "\(domain)/scaleDownStabilizationWindowSeconds"
    public static let behavior = "\(domain)/behavior"
    /// How long every activation threshold must be undershot before scaling to zero.
    public static let cooldownPeriod = "\(domain)/cooldownPeriod"
    /// Who scales to zero: `operator` (the default) or `native` (the HPA controller, with
    /// Kubernetes' HPAScaleToZero gate).
    public static let scaleToZero = "\(domain)/scaleToZero"
    public static let fallbackReplicas = OperatorAnnotations.fallbackReplicas
    public static let fallbackAfter = OperatorAnnotations.fallbackAfter
    /// `"true"`: autoscaling held, replicas stay where they are (KEDA's `autoscaling.keda.sh/paused`).
    public static let paused = "\(domain)/paused"
    /// `N`: replicas set to N and held there (KEDA's `paused-replicas`).
    public static let pausedReplicas = "\(domain)/paused-replicas"
    /// `disabled`: the HPA never scales in that direction (`behavior`'s `selectPolicy: Disabled`).
    public static let scaleUp = "\(domain)/scale-up"
    public static let scaleDown = "\(domain)/scale-down"
    static let globalKeys: Set<String> = [
        minReplicas, maxReplicas, scaleUpStabilizationWindow, scaleDownStabilizationWindow, behavior, cooldownPeriod, scaleToZero, fallbackReplicas, fallbackAfter,
        paused, pausedReplicas, scaleUp, scaleDown,
    ]

    /// The resources whose targets can be annotated, in the order their metrics are listed.
    public static let resourceNames = ["cpu", "memory"]

    public enum ResourceField: String, CaseIterable, Sendable {
        /// `container` names one container of the pod template: a ContainerResource metric.
        case targetAverageUtilization, targetAverageValue, container
    }

    public enum PrometheusField: String, CaseIterable, Sendable {
        case query, targetValue, targetAverageValue, interval, server, activationThreshold
    }

    /// `alertmanager.<m>…` fields: which alerts feed the metric, and its target.
    public enum AlertmanagerField: String, CaseIterable, Sendable {
        case alertname, matchLabels, workloadLabel, targetValue, targetAverageValue
    }

    public static func resource(_ name: String, _ field: ResourceField) -> String {
        "\(name).\(domain)/\(field.rawValue)"
    }

    public static func prometheus(_ metric: String, _ field: PrometheusField) -> String {
        "prometheus.\(metric).\(domain)/\(field.rawValue)"
    }

    public static func alertmanager(_ metric: String, _ field: AlertmanagerField) -> String {
        "alertmanager.\(metric).\(domain)/\(field.rawValue)"
    }

    /// The label every generated HPA carries.
    public static let managedByLabel = "app.kubernetes.io/managed-by"
    public static let managedByValue = "hpa-operator"

    /// What a key means to us.
    enum Meaning: Equatable {
        /// Not under our domain: ignored whatever its shape.
        case foreign
        /// `hpa.autoscaling.banzaicloud.io/<field>`.
        case global(field: String)
        /// `<resource>.hpa.autoscaling.banzaicloud.io/<field>`.
        case resource(name: String, field: String)
        /// `prometheus.<metric>.hpa.autoscaling.banzaicloud.io/<field>`.
        case prometheus(metric: String, field: String)
        /// `alertmanager.<metric>.hpa.autoscaling.banzaicloud.io/<field>`.
        case alertmanager(metric: String, field: String)
        /// Banzai 0.1.4's `pod.<m>.…/<field>`: a Pods metric another adapter served.
        case legacyPod(metric: String, field: String)
        /// Under our domain, but no shape we know.
        case unknown
    }

    static func meaning(of key: String) -> Meaning {
        guard let slash = key.firstIndex(of: "/") else { return .foreign }
        let prefix = key[..<slash]
        let field = String(key[key.index(after: slash)...])
        if prefix == domain { return .global(field: field) }
        guard prefix.hasSuffix("." + domain) else { return .foreign }
        let parts = prefix.dropLast(domain.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 1 { return .resource(name: String(parts[0]), field: field) }
        if parts[0] == "prometheus" { return .prometheus(metric: parts.dropFirst().joined(separator: "."), field: field) }
        if parts[0] == "alertmanager" { return .alertmanager(metric: parts.dropFirst().joined(separator: "."), field: field) }
        if parts[0] == "pod" { return .legacyPod(metric: parts.dropFirst().joined(separator: "."), field: field) }
        return .unknown
    }

    /// Whether the key is a resource's `container` (whose check needs the pod's containers).
    public static func namesContainer(_ key: String) -> Bool {
        if case .resource(_, ResourceField.container.rawValue) = meaning(of: key) { return true }
        return false
    }

    public static func isOurs(_ key: String) -> Bool {
        meaning(of: key) != .foreign
    }
}
