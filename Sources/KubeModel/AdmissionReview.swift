/// `admission.k8s.io/v1` AdmissionReview: what the apiserver sends a validating webhook and what
/// the webhook answers. Only the fields a validating webhook reads or writes; the request's object
/// is decoded on its own, typed, once its kind is known (`AdmissionReview.Object`).
public struct AdmissionReview: Codable, Hashable, Sendable {
    public static let apiVersion = "admission.k8s.io/v1"

    public var apiVersion: String?
    public var kind: String?
    public var request: Request?
    public var response: Response?

    public init(request: Request? = nil, response: Response? = nil) {
        apiVersion = Self.apiVersion
        kind = "AdmissionReview"
        self.request = request
        self.response = response
    }

    public struct Request: Codable, Hashable, Sendable {
        public var uid: String
        public var kind: GroupVersionKind?
        public var namespace: String?
        public var name: String?
        public var operation: String?
        public var dryRun: Bool?

        public init(uid: String, kind: GroupVersionKind? = nil, namespace: String? = nil, name: String? = nil, operation: String? = nil) {
            self.uid = uid
            self.kind = kind
            self.namespace = namespace
            self.name = name
            self.operation = operation
        }
    }

    /// The same review read again for `request.object`, as `T`.
    public struct Object<T: Decodable>: Decodable {
        public struct Request: Decodable { public var object: T? }
        public var request: Request?
    }

    public struct GroupVersionKind: Codable, Hashable, Sendable {
        public var group: String
        public var version: String
        public var kind: String

        public init(group: String, version: String, kind: String) {
            self.group = group
            self.version = version
            self.kind = kind
        }
    }

    public struct Response: Codable, Hashable, Sendable {
        public var uid: String
        public var allowed: Bool
        public var warnings: [String]?
        /// The refusal `kubectl` prints: `admission webhook "…" denied the request: <message>`.
        public var status: Status?

        public init(uid: String, allowed: Bool, warnings: [String]? = nil, status: Status? = nil) {
            self.uid = uid
            self.allowed = allowed
            self.warnings = warnings
            self.status = status
        }
    }
}
