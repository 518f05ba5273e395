/// coordination.k8s.io/v1 `Lease`, for leader election.
public struct Lease: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?

    public init(metadata: ObjectMeta, spec: LeaseSpec) {
        self.apiVersion = "coordination.k8s.io/v1"
        self.kind = "Lease"
        self.metadata = metadata
        self.spec = spec
    }
}

public struct LeaseSpec: Codable, Hashable, Sendable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    /// MicroTime: RFC 3339 with microseconds.
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int32?

    public init(holderIdentity: String?, leaseDurationSeconds: Int32?, acquireTime: String?, renewTime: String?, leaseTransitions: Int32?) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}
