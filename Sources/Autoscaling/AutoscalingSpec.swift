import KubeModel

/// What a workload's annotations ask for, validated. Built by `AnnotationParser`, turned into an
/// HPA by `HPABuilder`.
public struct AutoscalingSpec: Hashable, Sendable {
    public var minReplicas: Int32
    public var maxReplicas: Int32
    /// cpu before memory.
    public var resourceMetrics: [ResourceMetric]
    /// Sorted by name.
    public var prometheusMetrics: [PrometheusMetric]
    /// The behavior annotation with the stabilization-window annotations applied over it.
    public var behavior: HorizontalPodAutoscalerBehavior?

    public init(
        minReplicas: Int32, maxReplicas: Int32, resourceMetrics: [ResourceMetric] = [],
        prometheusMetrics: [PrometheusMetric] = [], behavior: HorizontalPodAutoscalerBehavior? = nil
    ) {
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.resourceMetrics = resourceMetrics
        self.prometheusMetrics = prometheusMetrics
        self.behavior = behavior
    }
}

/// A cpu or memory target, served by metrics-server.
public struct ResourceMetric: Hashable, Sendable {
    public enum Target: Hashable, Sendable {
        /// Percent of the pods' requests.
        case utilization(Int32)
        case averageValue(Quantity)
    }

    public var name: String
    public var target: Target

    public init(name: String, target: Target) {
        self.name = name
        self.target = target
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

    public init(name: String, query: String, target: Target, interval: String? = nil, server: String? = nil) {
        self.name = name
        self.query = query
        self.target = target
        self.interval = interval
        self.server = server
    }
}
