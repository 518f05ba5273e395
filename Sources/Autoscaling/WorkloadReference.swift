import KubeModel

/// The workload an HPA is for: what the builder needs to name, target and own it.
public struct WorkloadReference: Hashable, Sendable, CustomStringConvertible {
    public static let apiVersion = "apps/v1"

    public var kind: String
    public var name: String
    public var namespace: String?
    /// Absent in manifests that were never applied; then no ownerReference is written.
    public var uid: String?

    public init(kind: String, name: String, namespace: String? = nil, uid: String? = nil) {
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
    }

    public init<Kind>(_ workload: AppsWorkload<Kind>) {
        self.init(kind: Kind.kind, name: workload.metadata.name ?? "", namespace: workload.metadata.namespace, uid: workload.metadata.uid)
    }

    /// `Deployment ns/name`.
    public var description: String {
        "\(kind) \(ObjectMeta(name: name, namespace: namespace).qualifiedName)"
    }
}
