/// autoscaling/v1 `Scale`, the scale subresource of a workload.
public struct Scale: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ScaleSpec?
    public var status: ScaleStatus?

    public struct ScaleSpec: Codable, Hashable, Sendable {
        public var replicas: Int32?
    }

    public struct ScaleStatus: Codable, Hashable, Sendable {
        public var replicas: Int32
        /// The label selector in its text form (`app=d-obj`).
        public var selector: String?
    }
}
