/// apiregistration.k8s.io/v1 APIService: how the kube-aggregator reaches an extension API. Only
/// what the operator reads and patches (the CA bundle it must trust).
public struct APIService: Codable, Hashable, Sendable {
    public static let apiVersion = "apiregistration.k8s.io/v1"
    public static let kind = "APIService"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    /// The aggregator's verdict (`Available`), read by `hpa-operator check`.
    public var status: Status?

    public struct Status: Codable, Hashable, Sendable {
        public var conditions: [Condition]?
        public init(conditions: [Condition]? = nil) { self.conditions = conditions }
    }

    public struct Condition: Codable, Hashable, Sendable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
        public init(type: String, status: String, reason: String? = nil, message: String? = nil) {
            self.type = type
            self.status = status
            self.reason = reason
            self.message = message
        }
    }

    public struct Spec: Codable, Hashable, Sendable {
        /// PEM bundle, base64 in JSON.
        public var caBundle: String?
        public var group: String?
        public var version: String?
        public var insecureSkipTLSVerify: Bool?
        public var groupPriorityMinimum: Int32?
        public var versionPriority: Int32?
        public var service: ServiceReference?

        public init(
            caBundle: String? = nil, group: String? = nil, version: String? = nil, insecureSkipTLSVerify: Bool? = nil,
            groupPriorityMinimum: Int32? = nil, versionPriority: Int32? = nil, service: ServiceReference? = nil
        ) {
            self.caBundle = caBundle
            self.group = group
            self.version = version
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
            self.groupPriorityMinimum = groupPriorityMinimum
            self.versionPriority = versionPriority
            self.service = service
        }
    }

    public struct ServiceReference: Codable, Hashable, Sendable {
        public var namespace: String?
        public var name: String?
        public var port: Int32?

        public init(namespace: String? = nil, name: String? = nil, port: Int32? = nil) {
            self.namespace = namespace
            self.name = name
            self.port = port
        }
    }

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}
