/// The kinds of workload the operator autoscales.
public protocol WorkloadKind: Sendable {
    static var kind: String { get }
    /// The REST resource name (`deployments`).
    static var plural: String { get }
}

public enum DeploymentKind: WorkloadKind {
    public static let kind = "Deployment"
    public static let plural = "deployments"
}

public enum StatefulSetKind: WorkloadKind {
    public static let kind = "StatefulSet"
    public static let plural = "statefulsets"
}

/// An apps/v1 Deployment or StatefulSet, reduced to what the operator needs.
public typealias Deployment = AppsWorkload<DeploymentKind>
public typealias StatefulSet = AppsWorkload<StatefulSetKind>

public struct AppsWorkload<Kind: WorkloadKind>: Codable, Hashable, Sendable {
    public static var apiVersion: String { "apps/v1" }
    public static var kind: String { Kind.kind }

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: WorkloadSpec?
    public var status: WorkloadStatus?

    public init(metadata: ObjectMeta, spec: WorkloadSpec? = nil, status: WorkloadStatus? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

public struct WorkloadSpec: Codable, Hashable, Sendable {
    public var replicas: Int32?
    public var selector: LabelSelector?
    public var template: PodTemplate?

    public init(replicas: Int32? = nil, selector: LabelSelector? = nil, template: PodTemplate? = nil) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// The pod template: its metadata (annotations may live there) and its containers' names
/// (a ContainerResource metric names one).
public struct PodTemplate: Codable, Hashable, Sendable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?

    public init(metadata: ObjectMeta? = nil, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct PodSpec: Codable, Hashable, Sendable {
    public var containers: [Container]?
    public var initContainers: [Container]?

    public init(containers: [Container]? = nil, initContainers: [Container]? = nil) {
        self.containers = containers
        self.initContainers = initContainers
    }

    /// The containers that run beside the app: its containers, and the init containers with
    /// `restartPolicy: Always` (native sidecars, which the HPA controller counts too).
    public var runningContainerNames: [String] {
        (containers ?? []).map(\.name) + (initContainers ?? []).filter { $0.restartPolicy == "Always" }.map(\.name)
    }
}

/// A container: its name, and (an init container's) restart policy.
public struct Container: Codable, Hashable, Sendable {
    public var name: String
    public var restartPolicy: String?

    public init(name: String, restartPolicy: String? = nil) {
        self.name = name
        self.restartPolicy = restartPolicy
    }
}

public struct WorkloadStatus: Codable, Hashable, Sendable {
    public var replicas: Int32?
    /// What a rollout check reads (`kubectl rollout status`).
    public var updatedReplicas: Int32?
    public var availableReplicas: Int32?
    /// Pods ready (what the HPA controller counts for some metrics).
    public var readyReplicas: Int32?
    public var observedGeneration: Int64?

    public init(replicas: Int32? = nil, updatedReplicas: Int32? = nil, availableReplicas: Int32? = nil, observedGeneration: Int64? = nil) {
        self.replicas = replicas
        self.updatedReplicas = updatedReplicas
        self.availableReplicas = availableReplicas
        self.observedGeneration = observedGeneration
    }
}
