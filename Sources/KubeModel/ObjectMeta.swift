/// `metav1.ObjectMeta`: the fields the operator reads or writes. Unknown fields are ignored
/// when decoding; `managedFields` is carried opaquely.
public struct ObjectMeta: Codable, Hashable, Sendable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    /// RFC 3339 text as the apiserver sent it.
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    @ManagedFieldsJSON public var managedFields: JSONValue?

    public init(
        name: String? = nil, namespace: String? = nil, uid: String? = nil,
        labels: [String: String]? = nil, annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }

    /// `namespace/name`, or just the name for cluster-scoped or namespace-less objects.
    public var qualifiedName: String {
        ObjectKey(namespace: namespace, name: name ?? "<unnamed>").description
    }
}

/// `metav1.OwnerReference`.
public struct OwnerReference: Codable, Hashable, Sendable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(
        apiVersion: String, kind: String, name: String, uid: String,
        controller: Bool? = nil, blockOwnerDeletion: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metav1.ListMeta`.
public struct ListMeta: Codable, Hashable, Sendable {
    public var resourceVersion: String?
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil) {
        self.resourceVersion = resourceVersion
    }
}

/// `apiVersion` and `kind`, read first to decide how to decode the rest of a document.
public struct TypeMeta: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?

    public init(apiVersion: String? = nil, kind: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// A list response (`DeploymentList`, a `kind: List` manifest, ...).
public struct ObjectList<Item: Codable & Sendable>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta?
    public var items: [Item]

    public init(apiVersion: String? = "v1", kind: String? = "List", metadata: ListMeta? = ListMeta(), items: [Item]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.items = items
    }
}

extension ObjectList: Equatable where Item: Equatable {}
