/// autoscaling/v2 `HorizontalPodAutoscaler`, complete.
public struct HorizontalPodAutoscaler: Codable, Hashable, Sendable {
    public static let apiVersion = "autoscaling/v2"
    public static let kind = "HorizontalPodAutoscaler"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: HorizontalPodAutoscalerSpec
    public var status: HorizontalPodAutoscalerStatus?

    public init(metadata: ObjectMeta, spec: HorizontalPodAutoscalerSpec, status: HorizontalPodAutoscalerStatus? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct HorizontalPodAutoscalerSpec: Codable, Hashable, Sendable {
    public var scaleTargetRef: CrossVersionObjectReference
    public var minReplicas: Int32?
    public var maxReplicas: Int32
    public var metrics: [MetricSpec]?
    public var behavior: HorizontalPodAutoscalerBehavior?

    public init(
        scaleTargetRef: CrossVersionObjectReference, minReplicas: Int32?, maxReplicas: Int32,
        metrics: [MetricSpec]? = nil, behavior: HorizontalPodAutoscalerBehavior? = nil
    ) {
        self.scaleTargetRef = scaleTargetRef
        self.minReplicas = minReplicas
        self.maxReplicas = maxReplicas
        self.metrics = metrics
        self.behavior = behavior
    }
}

/// Names an object of any kind: `scaleTargetRef`, `describedObject`.
/// The apiserver leaves `apiVersion` out, and `kind`/`name` empty, in some status entries.
public struct CrossVersionObjectReference: Codable, Hashable, Sendable {
    public var kind: String
    public var name: String
    public var apiVersion: String?

    public init(apiVersion: String?, kind: String, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
    }
}

// MARK: - Metrics

/// One metric of `spec.metrics`; `type` says which of the sources is set.
public struct MetricSpec: Codable, Hashable, Sendable {
    public var type: MetricSourceType
    public var object: ObjectMetricSource?
    public var pods: PodsMetricSource?
    public var resource: ResourceMetricSource?
    public var containerResource: ContainerResourceMetricSource?
    public var external: ExternalMetricSource?

    public init(object: ObjectMetricSource) {
        type = .object
        self.object = object
    }
    public init(pods: PodsMetricSource) {
        type = .pods
        self.pods = pods
    }
    public init(resource: ResourceMetricSource) {
        type = .resource
        self.resource = resource
    }
    public init(containerResource: ContainerResourceMetricSource) {
        type = .containerResource
        self.containerResource = containerResource
    }
    public init(external: ExternalMetricSource) {
        type = .external
        self.external = external
    }
}

public struct MetricSourceType: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let object = Self(rawValue: "Object")
    public static let pods = Self(rawValue: "Pods")
    public static let resource = Self(rawValue: "Resource")
    public static let containerResource = Self(rawValue: "ContainerResource")
    public static let external = Self(rawValue: "External")
}

public struct ObjectMetricSource: Codable, Hashable, Sendable {
    public var describedObject: CrossVersionObjectReference
    public var target: MetricTarget
    public var metric: MetricIdentifier

    public init(describedObject: CrossVersionObjectReference, metric: MetricIdentifier, target: MetricTarget) {
        self.describedObject = describedObject
        self.metric = metric
        self.target = target
    }
}

public struct PodsMetricSource: Codable, Hashable, Sendable {
    public var metric: MetricIdentifier
    public var target: MetricTarget

    public init(metric: MetricIdentifier, target: MetricTarget) {
        self.metric = metric
        self.target = target
    }
}

public struct ResourceMetricSource: Codable, Hashable, Sendable {
    public var name: String
    public var target: MetricTarget

    public init(name: String, target: MetricTarget) {
        self.name = name
        self.target = target
    }
}

public struct ContainerResourceMetricSource: Codable, Hashable, Sendable {
    public var name: String
    public var target: MetricTarget
    public var container: String

    public init(name: String, container: String, target: MetricTarget) {
        self.name = name
        self.container = container
        self.target = target
    }
}

public struct ExternalMetricSource: Codable, Hashable, Sendable {
    public var metric: MetricIdentifier
    public var target: MetricTarget

    public init(metric: MetricIdentifier, target: MetricTarget) {
        self.metric = metric
        self.target = target
    }
}

public struct MetricIdentifier: Codable, Hashable, Sendable {
    public var name: String
    public var selector: LabelSelector?

    public init(name: String, selector: LabelSelector? = nil) {
        self.name = name
        self.selector = selector
    }
}

public struct MetricTarget: Codable, Hashable, Sendable {
    /// `Utilization`, `Value` or `AverageValue`.
    public var type: MetricTargetType
    public var value: Quantity?
    public var averageValue: Quantity?
    public var averageUtilization: Int32?

    public init(type: MetricTargetType, value: Quantity? = nil, averageValue: Quantity? = nil, averageUtilization: Int32? = nil) {
        self.type = type
        self.value = value
        self.averageValue = averageValue
        self.averageUtilization = averageUtilization
    }

    public static func value(_ quantity: Quantity) -> Self { Self(type: .value, value: quantity) }
    public static func averageValue(_ quantity: Quantity) -> Self { Self(type: .averageValue, averageValue: quantity) }
    public static func utilization(_ percent: Int32) -> Self { Self(type: .utilization, averageUtilization: percent) }
}

public struct MetricTargetType: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let utilization = Self(rawValue: "Utilization")
    public static let value = Self(rawValue: "Value")
    public static let averageValue = Self(rawValue: "AverageValue")
}

// MARK: - Behavior

public struct HorizontalPodAutoscalerBehavior: Codable, Hashable, Sendable {
    public var scaleUp: HPAScalingRules?
    public var scaleDown: HPAScalingRules?

    public init(scaleUp: HPAScalingRules? = nil, scaleDown: HPAScalingRules? = nil) {
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
    }
}

public struct HPAScalingRules: Codable, Hashable, Sendable {
    public var stabilizationWindowSeconds: Int32?
    /// `Max`, `Min` or `Disabled`.
    public var selectPolicy: String?
    public var policies: [HPAScalingPolicy]?
    /// Kept only where the apiserver has the HPAConfigurableTolerance gate (alpha in 1.33, on by
    /// default from 1.35); elsewhere it is dropped silently.
    public var tolerance: Quantity?

    public init(stabilizationWindowSeconds: Int32? = nil, selectPolicy: String? = nil, policies: [HPAScalingPolicy]? = nil, tolerance: Quantity? = nil) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.selectPolicy = selectPolicy
        self.policies = policies
        self.tolerance = tolerance
    }
}

public struct HPAScalingPolicy: Codable, Hashable, Sendable {
    /// `Pods` or `Percent`.
    public var type: String
    public var value: Int32
    public var periodSeconds: Int32

    public init(type: String, value: Int32, periodSeconds: Int32) {
        self.type = type
        self.value = value
        self.periodSeconds = periodSeconds
    }
}
