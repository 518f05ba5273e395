/// `metav1.Status`: every error body the apiserver sends.
public struct Status: Codable, Hashable, Sendable {
    public var kind: String?
    public var apiVersion: String?
    public var metadata: ListMeta?
    /// `Success` or `Failure`.
    public var status: String?
    public var message: String?
    /// Machine-readable reason: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `Expired`, ...
    public var reason: String?
    public var details: StatusDetails?
    public var code: Int32?

    public init(status: String? = "Failure", message: String?, reason: String?, details: StatusDetails? = nil, code: Int32?) {
        self.kind = "Status"
        self.apiVersion = "v1"
        self.metadata = ListMeta()
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }
}

public struct StatusDetails: Codable, Hashable, Sendable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]?
    public var retryAfterSeconds: Int32?

    public init(name: String? = nil, group: String? = nil, kind: String? = nil, causes: [StatusCause]? = nil) {
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }
}

public struct StatusCause: Codable, Hashable, Sendable {
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}
