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

    /// The workloads an HPA concerns: its controller owner and its scale target (the same one for
    /// the HPAs we write; a foreign HPA on a workload is a conflict for that workload).
    public static func related(to hpa: HorizontalPodAutoscaler) -> [WorkloadKey] {
        let namespace = hpa.metadata.namespace ?? ""
        let kinds = [Deployment.kind, StatefulSet.kind]
        var keys: [WorkloadKey] = []
        if let owner = hpa.metadata.ownerReferences?.first(where: { $0.controller == true }), kinds.contains(owner.kind) {
            keys.append(WorkloadKey(kind: owner.kind, namespace: namespace, name: owner.name))
        }
        let target = hpa.spec.scaleTargetRef
        if kinds.contains(target.kind) {
            let key = WorkloadKey(kind: target.kind, namespace: namespace, name: target.name)
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    /// True when the HPA scales this workload.
    public func isTarget(of hpa: HorizontalPodAutoscaler) -> Bool {
        hpa.spec.scaleTargetRef.kind == kind && hpa.spec.scaleTargetRef.name == name && (hpa.metadata.namespace ?? "") == namespace
    }
}
