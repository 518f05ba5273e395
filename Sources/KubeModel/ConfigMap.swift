/// core/v1 ConfigMap (the requestheader CA lives in one).
public struct ConfigMap: Codable, Hashable, Sendable {
    public static let apiVersion = "v1"
    public static let kind = "ConfigMap"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.data = data
    }
}
