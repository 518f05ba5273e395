import KubeModel

/// What the work queue holds: a workload, by kind, namespace and name (`Deployment/shop/web`).
public struct WorkloadKey: Hashable, Sendable, CustomStringConvertible {
    public var kind: String
    public var namespace: String
    public var name: String

    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    public var description: String { "\(kind)/\(namespace)/\(name)" }

    /// Reads `description` back (names and namespaces never contain a slash).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(kind: String(parts[0]), namespace: String(parts[1]), name: String(parts[2]))
    }

    /// The workload an HPA belongs to: its controller owner, else its scale target (for conflicts).
    public static func owning(_ hpa: HorizontalPodAutoscaler) -> WorkloadKey? {
        let namespace = hpa.metadata.namespace ?? ""
        let kinds = [Deployment.kind, StatefulSet.kind]
        if let owner = hpa.metadata.ownerReferences?.first(where: { $0.controller == true }), kinds.contains(owner.kind) {
            return WorkloadKey(kind: owner.kind, namespace: namespace, name: owner.name)
        }
        let target = hpa.spec.scaleTargetRef
        guard kinds.contains(target.kind) else { return nil }
        return WorkloadKey(kind: target.kind, namespace: namespace, name: target.name)
    }
}
