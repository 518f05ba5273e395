/// autoscaling/v2 `HorizontalPodAutoscalerStatus`, written by the HPA controller.
public struct HorizontalPodAutoscalerStatus: Codable, Hashable, Sendable {
    public var observedGeneration: Int64?
    public var lastScaleTime: String?
    public var currentReplicas: Int32?
    public var desiredReplicas: Int32
    public var currentMetrics: [MetricStatus]?
    public var conditions: [HorizontalPodAutoscalerCondition]?

    public init(currentReplicas: Int32? = nil, desiredReplicas: Int32, currentMetrics: [MetricStatus]? = nil) {
        self.currentReplicas = currentReplicas
        self.desiredReplicas = desiredReplicas
        self.currentMetrics = currentMetrics
    }
}

public struct MetricStatus: Codable, Hashable, Sendable {
    public var type: MetricSourceType
    public var object: ObjectMetricStatus?
    public var pods: PodsMetricStatus?
    public var resource: ResourceMetricStatus?
    public var containerResource: ContainerResourceMetricStatus?
    public var external: ExternalMetricStatus?
}

public struct MetricValueStatus: Codable, Hashable, Sendable {
    public var value: Quantity?
    public var averageValue: Quantity?
    public var averageUtilization: Int32?
}

public struct ObjectMetricStatus: Codable, Hashable, Sendable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus
    public var describedObject: CrossVersionObjectReference
}

public struct PodsMetricStatus: Codable, Hashable, Sendable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus
}

public struct ResourceMetricStatus: Codable, Hashable, Sendable {
    public var name: String
    public var current: MetricValueStatus
}

public struct ContainerResourceMetricStatus: Codable, Hashable, Sendable {
    public var name: String
    public var current: MetricValueStatus
    public var container: String
}

public struct ExternalMetricStatus: Codable, Hashable, Sendable {
    public var metric: MetricIdentifier
    public var current: MetricValueStatus
}

public struct HorizontalPodAutoscalerCondition: Codable, Hashable, Sendable {
    /// `ScalingActive`, `AbleToScale` or `ScalingLimited`.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?
}
