import Autoscaling
import KubeClient
import KubeModel

/// What the HPA reconciler reads: the cached workloads and HPAs (never the apiserver).
public protocol AutoscalingCache: Sendable {
    func workload(_ key: WorkloadKey) -> ObservedWorkload?
    func hpa(namespace: String, name: String) -> HorizontalPodAutoscaler?
    /// Every cached HPA whose scale target is the workload, whatever its name.
    func hpas(targeting key: WorkloadKey) -> [HorizontalPodAutoscaler]
}

/// A workload as cached, of either kind.
public enum ObservedWorkload: Sendable {
    case deployment(Deployment)
    case statefulSet(StatefulSet)

    public var metadata: ObjectMeta {
        switch self {
        case .deployment(let workload): workload.metadata
        case .statefulSet(let workload): workload.metadata
        }
    }

    /// `spec.replicas` (the apiserver defaults it to 1).
    public var replicas: Int32? {
        switch self {
        case .deployment(let workload): workload.spec?.replicas
        case .statefulSet(let workload): workload.spec?.replicas
        }
    }

    /// Its annotations, read.
    public var reading: AnnotationReading {
        switch self {
        case .deployment(let workload): AnnotationParser.parse(workload)
        case .statefulSet(let workload): AnnotationParser.parse(workload)
        }
    }

    /// What its annotations ask for.
    public func desired(style: MetricStyle) -> DesiredHPA {
        switch self {
        case .deployment(let workload): DesiredHPA(for: workload, style: style)
        case .statefulSet(let workload): DesiredHPA(for: workload, style: style)
        }
    }
}
