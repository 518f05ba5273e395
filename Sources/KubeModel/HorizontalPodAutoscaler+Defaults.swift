/// What the apiserver fills in on an autoscaling/v2 HPA it stores (see
/// shared/k8s-wire/hpa-v2-defaulted-behavior.json): `minReplicas` 1, and a partly given `behavior`
/// completed side by side with the Kubernetes defaults. A nil behavior stays nil.
extension HorizontalPodAutoscalerSpec {
    public static let defaultScaleUp = HPAScalingRules(
        stabilizationWindowSeconds: 0, selectPolicy: "Max",
        policies: [HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15), HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)])
    /// Without a window: the apiserver leaves it out, and the controller uses its
    /// `--horizontal-pod-autoscaler-downscale-stabilization` (300 s by default).
    public static let defaultScaleDown = HPAScalingRules(
        stabilizationWindowSeconds: nil, selectPolicy: "Max",
        policies: [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)])

    /// This spec as the apiserver would store it.
    public var defaulted: HorizontalPodAutoscalerSpec {
        var spec = self
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        if let behavior = spec.behavior {
            spec.behavior = HorizontalPodAutoscalerBehavior(
                scaleUp: Self.complete(behavior.scaleUp, with: Self.defaultScaleUp),
                scaleDown: Self.complete(behavior.scaleDown, with: Self.defaultScaleDown))
        }
        return spec
    }

    private static func complete(_ given: HPAScalingRules?, with defaults: HPAScalingRules) -> HPAScalingRules {
        var rules = defaults
        if let given {
            rules.stabilizationWindowSeconds = given.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds
            rules.selectPolicy = given.selectPolicy ?? defaults.selectPolicy
            rules.policies = given.policies ?? defaults.policies
            rules.tolerance = given.tolerance
        }
        return rules
    }
}

extension MetricTarget {
    /// Only the field its type uses: the apiserver may add a zero `value` to an AverageValue target.
    public var meaningful: MetricTarget {
        switch type {
        case .value: return MetricTarget(type: type, value: value)
        case .averageValue: return MetricTarget(type: type, averageValue: averageValue)
        case .utilization: return MetricTarget(type: type, averageUtilization: averageUtilization)
        default: return self
        }
    }
}
