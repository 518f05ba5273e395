/// core/v1 Secret: the shared serving certificate of the metrics API lives in one.
public struct Secret: Codable, Hashable, Sendable {
    public static let apiVersion = "v1"
    public static let kind = "Secret"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var type: String?
    /// Values base64-encoded, as in JSON.
    public var data: [String: String]?

    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.type = type
        self.data = data
    }
}
