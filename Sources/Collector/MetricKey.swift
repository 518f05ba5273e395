/// A Kubernetes group and resource as the custom metrics API names them (`deployments.apps`, `pods`).
public struct GroupResource: Hashable, Sendable, CustomStringConvertible {
    public var resource: String
    /// "" for the core group.
    public var group: String

    public init(resource: String, group: String = "") {
        self.resource = resource.lowercased()
        self.group = group.lowercased()
    }

    /// Reads `deployments.apps`, `pods`, `ingresses.networking.k8s.io`.
    public init(parsing text: String) {
        if let dot = text.firstIndex(of: ".") {
            self.init(resource: String(text[..<dot]), group: String(text[text.index(after: dot)...]))
        } else {
            self.init(resource: text)
        }
    }

    /// The resource of an object reference: the group from its apiVersion, the kind made plural
    /// as Kubernetes' REST mapper does for ordinary kinds (`Deployment` → `deployments.apps`).
    public init(kind: String, apiVersion: String?) {
        let version = apiVersion ?? "v1"
        let group = version.contains("/") ? String(version[..<version.lastIndex(of: "/")!]) : ""
        self.init(resource: Self.plural(kind), group: group)
    }

    static func plural(_ kind: String) -> String {
        let lower = kind.lowercased()
        if lower.hasSuffix("s") || lower.hasSuffix("x") || lower.hasSuffix("ch") || lower.hasSuffix("sh") { return lower + "es" }
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) { return lower.dropLast() + "ies" }
        return lower + "s"
    }

    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

/// Where a collected value is served: one entry of the metric store.
public enum MetricKey: Hashable, Sendable, CustomStringConvertible {
    /// custom.metrics.k8s.io: a value describing one object.
    case object(ObjectMetricKey)
    /// external.metrics.k8s.io: a value with labels, in a namespace.
    case external(ExternalMetricKey)
    /// custom.metrics.k8s.io for pods: one value per pod (the query's `pod` label).
    case pods(PodsMetricKey)

    public var namespace: String {
        switch self {
        case .object(let key): return key.namespace
        case .external(let key): return key.namespace
        case .pods(let key): return key.namespace
        }
    }

    public var metric: String {
        switch self {
        case .object(let key): return key.metric
        case .external(let key): return key.metric
        case .pods(let key): return key.metric
        }
    }

    public var description: String {
        switch self {
        case .object(let key): return "\(key.namespace)/\(key.resource)/\(key.name) \(key.metric)\(Self.format(key.labels))"
        case .external(let key): return "\(key.namespace) external \(key.metric)\(Self.format(key.labels))"
        case .pods(let key): return "\(key.namespace)/pods \(key.metric)" + (key.target.isEmpty ? "" : " of \(key.target)")
        }
    }

    private static func format(_ labels: [String: String]) -> String {
        labels.isEmpty ? "" : "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
    }
}

public struct ObjectMetricKey: Hashable, Sendable {
    public var namespace: String
    public var resource: GroupResource
    public var name: String
    public var metric: String
    /// The metric's selector labels (matchLabels), matched against `metricLabelSelector`.
    public var labels: [String: String]
    /// The described object's kind and apiVersion as the HPA wrote them, for the API's
    /// `describedObject` (not part of the key: the resource already says what they name).
    public var kind: String
    public var apiVersion: String

    public init(namespace: String, resource: GroupResource, name: String, metric: String, labels: [String: String] = [:], kind: String = "", apiVersion: String = "") {
        self.namespace = namespace
        self.resource = resource
        self.name = name
        self.metric = metric
        self.labels = labels
        self.kind = kind
        self.apiVersion = apiVersion
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.namespace == rhs.namespace && lhs.resource == rhs.resource && lhs.name == rhs.name && lhs.metric == rhs.metric && lhs.labels == rhs.labels
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(namespace)
        hasher.combine(resource)
        hasher.combine(name)
        hasher.combine(metric)
        hasher.combine(labels)
    }
}

public struct ExternalMetricKey: Hashable, Sendable {
    public var namespace: String
    public var metric: String
    /// The metric's matchLabels, matched against `labelSelector`.
    public var labels: [String: String]

    public init(namespace: String, metric: String, labels: [String: String] = [:]) {
        self.namespace = namespace
        self.metric = metric
        self.labels = labels
    }
}

public struct PodsMetricKey: Hashable, Sendable {
    public var namespace: String
    public var metric: String
    /// The HPA's scale target (`Deployment/web`): two workloads' pods metrics of one name are two
    /// keys, told apart by the pod selector the HPA controller sends.
    public var target: String

    public init(namespace: String, metric: String, target: String = "") {
        self.namespace = namespace
        self.metric = metric
        self.target = target
    }
}
