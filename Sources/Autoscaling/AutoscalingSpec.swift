import KubeModel

/// What a workload's annotations ask for, validated. Built by `AnnotationParser`, turned into an
/// HPA by `HPABuilder`.
public struct AutoscalingSpec: Hashable, Sendable {
    /// 0 only with `scaleToZero` (the HPA itself then gets 1, or 0 in the native mode).
    public var minReplicas: Int32
    public var maxReplicas: Int32
    /// cpu before memory.
    public var resourceMetrics: [ResourceMetric]
    /// Sorted by name.
    public var prometheusMetrics: [PrometheusMetric]
    /// Sorted by name.
    public var alertMetrics: [AlertMetric]
    /// The behavior annotation with the stabilization-window annotations applied over it.
    public var behavior: HorizontalPodAutoscalerBehavior?
    /// Set when minReplicas is 0: the operator moves the workload between 0 and 1 (or, in the
    /// native mode, the HPA controller does).
    public var scaleToZero: ScaleToZero?
    /// Replicas to hold while the prometheus metrics cannot be read.
    public var fallback: Fallback?
    /// Autoscaling paused, or one direction frozen.
    public var hold: Hold

    public init(
        minReplicas: Int32, maxReplicas: Int32, resourceMetrics: [ResourceMetric] = [],
        prometheusMetrics: [PrometheusMetric] = [], alertMetrics: [AlertMetric] = [], behavior: HorizontalPodAutoscalerBehavior? = nil,
        scaleToZero: ScaleToZero? = nil, fallback: Fallback? = nil, hold: Hold = Hold()
    ) {
        self.hold = hold
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.resourceMetrics = resourceMetrics
        self.prometheusMetrics = prometheusMetrics
        self.alertMetrics = alertMetrics
        self.behavior = behavior
        self.scaleToZero = scaleToZero
        self.fallback = fallback
    }

    /// The metrics whose activation thresholds decide between 0 and 1 replicas.
    public var activationThresholds: [String: Quantity] {
        Dictionary(uniqueKeysWithValues: prometheusMetrics.compactMap { metric in metric.activationThreshold.map { (metric.name, $0) } })
    }
}

/// Scaling to zero (minReplicas 0). By the operator: the HPA keeps a minimum of 1, and the
/// operator sets 0 once every activation threshold has been undershot for `cooldown`, and 1 when
/// one is exceeded. Native (`scaleToZero: native`): the HPA itself gets `minReplicas: 0` and the
/// HPA controller goes to 0 and back (Kubernetes' HPAScaleToZero feature gate); the operator
/// writes no replicas.
public struct ScaleToZero: Hashable, Sendable {
    public static let defaultCooldown = Duration.seconds(300)
    public var cooldown: Duration
    public var native: Bool

    public init(cooldown: Duration = Self.defaultCooldown, native: Bool = false) {
        self.cooldown = cooldown
        self.native = native
    }
}

/// Autoscaling held (`paused`, `paused-replicas`) or one direction frozen (`scale-up`,
/// `scale-down: disabled`). The HPA stays, with its status and history: both directions of its
/// `behavior` get `selectPolicy: Disabled` while paused, one while frozen. `paused-replicas: N`
/// also narrows the HPA's bounds to N (the HPA controller moves a workload outside its bounds
/// there, whatever `behavior` says), and the operator sets N itself where the HPA controller
/// does not act (at 0 replicas). Unpausing restores the HPA as the other annotations say.
public struct Hold: Hashable, Sendable {
    /// Replicas stay where they are.
    public var paused: Bool
    /// Replicas are set to this and kept there (paused too).
    public var replicas: Int32?
    public var scaleUpDisabled: Bool
    public var scaleDownDisabled: Bool

    public init(paused: Bool = false, replicas: Int32? = nil, scaleUpDisabled: Bool = false, scaleDownDisabled: Bool = false) {
        self.paused = paused || replicas != nil
        self.replicas = replicas
        self.scaleUpDisabled = scaleUpDisabled
        self.scaleDownDisabled = scaleDownDisabled
    }

    /// Neither direction may scale.
    public var holdsBoth: Bool { paused || (scaleUpDisabled && scaleDownDisabled) }

    /// Whether an HPA scales in neither direction (both `selectPolicy: Disabled`).
    public static func holdsBoth(_ hpa: HorizontalPodAutoscaler) -> Bool {
        hpa.spec.behavior?.scaleUp?.selectPolicy == "Disabled" && hpa.spec.behavior?.scaleDown?.selectPolicy == "Disabled"
    }

    /// In words, for events, `preview` and `explain`; nil when nothing is held.
    public var description: String? {
        if let replicas { return "paused at \(replicas) replicas (\(AnnotationKeys.pausedReplicas))" }
        if paused { return "paused: replicas stay where they are (\(AnnotationKeys.paused))" }
        switch (scaleUpDisabled, scaleDownDisabled) {
        case (true, true): return "scale-up and scale-down disabled"
        case (true, false): return "scale-up disabled (\(AnnotationKeys.scaleUp))"
        case (false, true): return "scale-down disabled (\(AnnotationKeys.scaleDown))"
        case (false, false): return nil
        }
    }
}

/// What to hold while the workload's prometheus and alertmanager metrics fail.
public struct Fallback: Hashable, Sendable {
    public var replicas: Int32
    /// How long a metric must have failed first, as written (`90s`); nil for 3 × its interval.
    public var after: String?

    public init(replicas: Int32, after: String? = nil) {
        self.replicas = replicas
        self.after = after
    }
}

/// A cpu or memory target, served by metrics-server: of the whole pods, or of one container in
/// each (a ContainerResource metric).
public struct ResourceMetric: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        /// Percent of the pods' (or the container's) requests.
        case utilization(Int32)
        case averageValue(Quantity)
    }

    public var name: String
    public var target: Target
    public var container: String?

    public init(name: String, target: Target, container: String? = nil) {
        self.name = name
        self.target = target
        self.container = container
    }
}

/// A PromQL query and its target.
public struct PrometheusMetric: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        /// The query's value itself is compared with the target.
        case value(Quantity)
        /// The query's value divided by the current replica count is compared with the target.
        case averageValue(Quantity)
    }

    public var name: String
    public var query: String
    public var target: Target
    /// Collection interval as written (`30s`, `1m`); nil for the collector's default.
    public var interval: String?
    /// Prometheus URL or server alias; nil for the collector's default.
    public var server: String?
    /// The workload is active while the query's value is above this (scale to zero only).
    public var activationThreshold: Quantity?

    public init(name: String, query: String, target: Target, interval: String? = nil, server: String? = nil, activationThreshold: Quantity? = nil) {
        self.name = name
        self.query = query
        self.target = target
        self.interval = interval
        self.server = server
        self.activationThreshold = activationThreshold
    }
}

/// A metric made of Alertmanager's firing alerts for the workload: the sum of their `value`
/// labels or annotations (their count when they have none), served as an External metric.
public struct AlertMetric: Hashable, Sendable {
    public var name: String
    public var alertname: String
    /// Further label equalities an alert must have.
    public var matchLabels: [String: String]
    /// The alert label naming the workload; nil: `deployment` or `statefulset`, after its kind.
    public var workloadLabel: String?
    public var target: PrometheusMetric.Target

    public init(name: String, alertname: String, matchLabels: [String: String] = [:], workloadLabel: String? = nil, target: PrometheusMetric.Target) {
        self.name = name
        self.alertname = alertname
        self.matchLabels = matchLabels
        self.workloadLabel = workloadLabel
        self.target = target
    }

    /// The label naming a workload of `kind` in its alerts, unless the annotation names another.
    public static func defaultWorkloadLabel(kind: String) -> String {
        kind.lowercased()
    }
}
