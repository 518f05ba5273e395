import KubeModel

/// What the double knows about each resource: how it is named, and which subresources it has.
public struct FakeResource: Hashable, Sendable {
    public var group: String
    public var version: String
    public var plural: String
    public var kind: String
    public var namespaced: Bool
    /// Status is written only through `/status`; the main resource keeps it.
    public var hasStatusSubresource: Bool
    /// `/scale` answers an autoscaling/v1 Scale from spec.replicas and spec.selector.
    public var hasScaleSubresource: Bool
    /// The status a new object starts with when status is a subresource (Go's zero value as the apiserver prints it).
    public var zeroStatus: JSONValue
    /// The maps Go's zero object of the kind already has: `metadata`, `spec` and the structs below
    /// it (a create does not make them, so its managedFields entry has no `.` for them).
    var zeroNodes: Set<FieldPath>

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, as messages name it.
    public var qualifiedName: String { group.isEmpty ? plural : "\(plural).\(group)" }

    public init(
        group: String, version: String, plural: String, kind: String, namespaced: Bool = true, status: Bool = false, scale: Bool = false, zeroStatus: JSONValue = .object([:]),
        zeroStructs: [[String]] = []
    ) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.hasStatusSubresource = status
        self.hasScaleSubresource = scale
        self.zeroStatus = zeroStatus
        self.zeroNodes = Set(([["metadata"], ["spec"]] + zeroStructs).map { $0 + ["."] })
    }

    public static let standard: [FakeResource] = [
        FakeResource(group: "apps", version: "v1", plural: "deployments", kind: "Deployment", status: true, scale: true),
        FakeResource(
            group: "apps", version: "v1", plural: "statefulsets", kind: "StatefulSet", status: true, scale: true,
            zeroStatus: .object(["replicas": .integer(0), "availableReplicas": .integer(0)])),
        FakeResource(
            group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler", status: true,
            zeroStatus: .object(["currentMetrics": .null, "desiredReplicas": .integer(0)]), zeroStructs: [["spec", "scaleTargetRef"]]),
        FakeResource(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap"),
        FakeResource(group: "", version: "v1", plural: "secrets", kind: "Secret"),
        FakeResource(group: "apiregistration.k8s.io", version: "v1", plural: "apiservices", kind: "APIService", namespaced: false),
        FakeResource(group: "", version: "v1", plural: "events", kind: "Event"),
        FakeResource(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false),
        FakeResource(group: "events.k8s.io", version: "v1", plural: "events", kind: "Event"),
        FakeResource(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease"),
    ]
}
