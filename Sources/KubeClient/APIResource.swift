import KubeModel

/// A REST resource of the Kubernetes API: the one place request paths are built.
public struct APIResource: Hashable, Sendable, CustomStringConvertible {
    /// Empty for the core group (`/api/v1`).
    public var group: String
    public var version: String
    /// The path segment: `deployments`, `horizontalpodautoscalers`.
    public var plural: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `deployments.apps`, as the apiserver names resources in messages.
    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }

    /// `/apis/apps/v1/namespaces/ns/deployments/name/scale`; the namespace is left out for
    /// cluster-scoped resources and for lists and watches across all namespaces.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace, !namespace.isEmpty { path += "/namespaces/\(namespace)" }
        path += "/\(plural)"
        if let name { path += "/\(name)" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    public static let deployments = Deployment.resource
    public static let statefulSets = StatefulSet.resource
    public static let horizontalPodAutoscalers = APIResource(group: "autoscaling", version: "v2", plural: "horizontalpodautoscalers", kind: "HorizontalPodAutoscaler")
    public static let configMaps = APIResource(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")
    public static let secrets = APIResource(group: "", version: "v1", plural: "secrets", kind: "Secret")
    public static let apiServices = APIResource(group: "apiregistration.k8s.io", version: "v1", plural: "apiservices", kind: "APIService", namespaced: false)
    public static let validatingWebhookConfigurations = APIResource(
        group: "admissionregistration.k8s.io", version: "v1", plural: "validatingwebhookconfigurations",
        kind: "ValidatingWebhookConfiguration", namespaced: false)
    /// core/v1 Events: what `kubectl describe` lists.
    public static let events = APIResource(group: "", version: "v1", plural: "events", kind: "Event")
    public static let leases = APIResource(group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease")
}

/// A Kubernetes object type the client can read and write.
public protocol APIObject: Codable, Sendable {
    static var resource: APIResource { get }
    var metadata: ObjectMeta { get set }
}

extension AppsWorkload: APIObject {
    public static var resource: APIResource {
        APIResource(group: "apps", version: "v1", plural: Kind.plural, kind: Kind.kind)
    }
}

extension HorizontalPodAutoscaler: APIObject {
    public static var resource: APIResource { .horizontalPodAutoscalers }
}

extension Event: APIObject {
    public static var resource: APIResource { .events }
}

extension Lease: APIObject {
    public static var resource: APIResource { .leases }
}

extension ConfigMap: APIObject {
    public static var resource: APIResource { .configMaps }
}

extension Secret: APIObject {
    public static var resource: APIResource { .secrets }
}

extension APIService: APIObject {
    public static var resource: APIResource { .apiServices }
}

extension ValidatingWebhookConfiguration: APIObject {
    public static var resource: APIResource { .validatingWebhookConfigurations }
}
