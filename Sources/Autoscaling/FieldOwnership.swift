import KubeModel

/// What server-side apply's `managedFields` say the operator owns: the Apply entry of our field
/// manager. A field the desired HPA leaves out is a difference only when we own it (an apply
/// removes only what its manager applied before).
public enum FieldOwnership {
    /// `managedFields` cut down to what `HPAComparison.differences` reads: one Apply entry of
    /// `fieldManager` saying only whether it owns `spec.metrics` and `spec.behavior`, and which
    /// annotations. A cache keeps this instead of every manager's full field trees; nil when we own
    /// none of them.
    public static func essentials(of managedFields: JSONValue?, fieldManager: String) -> JSONValue? {
        let owned = OwnedFields(managedFields, manager: fieldManager)
        var tree: [String: JSONValue] = [:]
        let spec = ["metrics", "behavior"].filter { owned.contains(["spec", $0]) }
        if !spec.isEmpty { tree["f:spec"] = .object(Dictionary(uniqueKeysWithValues: spec.map { ("f:\($0)", .object([:])) })) }
        if case .object(let annotations)? = owned.node(["metadata", "annotations"]), !annotations.isEmpty {
            tree["f:metadata"] = .object(["f:annotations": .object(annotations.mapValues { _ in .object([:]) })])
        }
        guard !tree.isEmpty else { return nil }
        return .array([.object(["manager": .string(fieldManager), "operation": .string("Apply"), "fieldsV1": .object(tree)])])
    }
}

/// The fields a manager owns through server-side apply, read from `metadata.managedFields`.
struct OwnedFields {
    private var tree: JSONValue = .object([:])

    init(_ managedFields: JSONValue?, manager: String) {
        guard case .array(let entries)? = managedFields else { return }
        for entry in entries where entry["manager"]?.stringValue == manager && entry["operation"]?.stringValue == "Apply" {
            if let fields = entry["fieldsV1"] { tree = fields }
        }
    }

    /// `["spec", "behavior"]` is owned when `f:spec` → `f:behavior` is in the tree.
    func contains(_ path: [String]) -> Bool {
        node(path) != nil
    }

    func node(_ path: [String]) -> JSONValue? {
        var node: JSONValue? = tree
        for part in path { node = node?["f:\(part)"] }
        return node
    }
}
