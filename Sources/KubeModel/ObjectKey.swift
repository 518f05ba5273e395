/// An object's identity within its resource: its namespace (empty for cluster-scoped objects) and
/// name, written `namespace/name` as kubectl and client-go write it: the informers' stores, the
/// collector's plans and messages use it (a workload's key, `WorkloadKey`, adds its kind).
public struct ObjectKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace ?? ""
        self.name = name
    }

    /// `namespace/name`, or the name alone without a namespace.
    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

extension ObjectMeta {
    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name ?? "") }
}
