import KubeModel

/// What server-side apply's `managedFields` say the operator owns: the entries of our field
/// manager. Its Apply entry holds what its applies set; its Update entry what its creates (POST)
/// and merge patches set. A field the desired HPA leaves out is a difference only when we own it,
/// and it goes by apply when only the Apply entry owns it, else by merge patch
/// (`HPAComparison.dropPatch`): an apply never removes a field another entry owns.
public enum FieldOwnership {
    static let operations = ["Apply", "Update"]

    /// `managedFields` cut down to what `HPAComparison` reads: per operation of `fieldManager`, an
    /// entry saying only whether it owns (anything of) `spec.metrics` and `spec.behavior`, and
    /// which annotations. A cache keeps this instead of every manager's full field trees; nil when
    /// we own none of them.
    public static func essentials(of managedFields: JSONValue?, fieldManager: String) -> JSONValue? {
        let entries: [JSONValue] = operations.compactMap { operation in
            let owned = OwnedFields(managedFields, manager: fieldManager, operations: [operation])
            var tree: [String: JSONValue] = [:]
            let spec = ["metrics", "behavior"].filter { owned.contains(["spec", $0]) }
            if !spec.isEmpty { tree["f:spec"] = .object(Dictionary(uniqueKeysWithValues: spec.map { ("f:\($0)", .object([:])) })) }
            let annotations = owned.members(["metadata", "annotations"])
            if !annotations.isEmpty {
                tree["f:metadata"] = .object(["f:annotations": .object(Dictionary(uniqueKeysWithValues: annotations.map { ("f:\($0)", .object([:])) }))])
            }
            guard !tree.isEmpty else { return nil }
            return .object(["manager": .string(fieldManager), "operation": .string(operation), "fieldsV1": .object(tree)])
        }
        return entries.isEmpty ? nil : .array(entries)
    }
}

/// The fields a manager owns, read from `metadata.managedFields`: the entries of its `operations`
/// on the main resource (a status subresource entry is not about our fields).
struct OwnedFields {
    private var trees: [JSONValue] = []

    init(_ managedFields: JSONValue?, manager: String, operations: Set<String> = Set(FieldOwnership.operations)) {
        guard case .array(let entries)? = managedFields else { return }
        trees = entries.filter { entry in
            entry["manager"]?.stringValue == manager && operations.contains(entry["operation"]?.stringValue ?? "") && (entry["subresource"]?.stringValue ?? "").isEmpty
        }.compactMap { $0["fieldsV1"] }
    }

    /// `["spec", "behavior"]` is owned when `f:spec` → `f:behavior` is in a tree.
    func contains(_ path: [String]) -> Bool {
        trees.contains { Self.node(path, in: $0) != nil }
    }

    /// The fields owned directly below `path`: `["metadata", "annotations"]` gives annotation keys.
    func members(_ path: [String]) -> Set<String> {
        var names: Set<String> = []
        for tree in trees {
            guard case .object(let members)? = Self.node(path, in: tree) else { continue }
            names.formUnion(members.keys.filter { $0.hasPrefix("f:") }.map { String($0.dropFirst(2)) })
        }
        return names
    }

    private static func node(_ path: [String], in tree: JSONValue) -> JSONValue? {
        var node: JSONValue? = tree
        for part in path { node = node?["f:\(part)"] }
        return node
    }
}
