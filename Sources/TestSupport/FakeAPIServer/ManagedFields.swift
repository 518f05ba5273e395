import KubeModel

/// A path to a field, as managedFields name it: member names, and `k:{"uid":"…"}` for an item of a
/// list merged by key. A path ending in `.` is the map, struct or keyed list itself (`".": {}`).
typealias FieldPath = [String]

/// Field ownership as the real apiserver keeps it (checked against kube-apiserver v1.26 in the
/// real-cluster suite): one entry per manager and operation. An apply owns exactly the fields it
/// sent; an update (PUT, merge or JSON patch, and a create) owns the fields it changed and takes
/// them from everyone else, and the maps it made (a create starts from Go's zero object, which has
/// some already). Lists are atomic, except those the schema merges by a key
/// (`metadata.ownerReferences` by uid).
struct ManagedFields: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        var manager: String
        var operation: String
        var apiVersion: String
        var time: String
        var fields: Set<FieldPath>
    }

    private(set) var entries: [Entry] = []

    init() {}

    /// Entries a client wrote into `metadata.managedFields` itself (as client-go's csaupgrade does):
    /// the apiserver takes them as given.
    init?(parsing json: JSONValue?) {
        guard case .array(let items)? = json, !items.isEmpty else { return nil }
        entries = items.compactMap { item in
            guard let manager = item["manager"]?.stringValue, let operation = item["operation"]?.stringValue else { return nil }
            return Entry(
                manager: manager, operation: operation, apiVersion: item["apiVersion"]?.stringValue ?? "",
                time: item["time"]?.stringValue ?? "", fields: Self.paths(ofFieldsV1: item["fieldsV1"] ?? .object([:])))
        }
    }

    private static func paths(ofFieldsV1 tree: JSONValue, prefix: FieldPath = []) -> Set<FieldPath> {
        guard case .object(let members) = tree else { return [] }
        let children = members.filter { $0.key != "." }
        if children.isEmpty { return prefix.isEmpty ? [] : [prefix] }
        var result: Set<FieldPath> = members["."] == nil ? [] : [prefix + ["."]]
        for (key, child) in children {
            let element = key.hasPrefix("f:") ? String(key.dropFirst(2)) : key
            result.formUnion(paths(ofFieldsV1: child, prefix: prefix + [element]))
        }
        return result
    }

    /// List paths merged by a key, and the key.
    static let mapLists: [FieldPath: String] = [["metadata", "ownerReferences"]: "uid"]
    /// What the server owns: never anyone's to manage.
    static let serverFields: Set<FieldPath> = [
        ["apiVersion"], ["kind"], ["metadata", "name"], ["metadata", "namespace"], ["metadata", "uid"], ["metadata", "resourceVersion"],
        ["metadata", "generation"], ["metadata", "creationTimestamp"], ["metadata", "managedFields"], ["metadata", "deletionTimestamp"],
    ]

    // MARK: Ownership

    func fields(of manager: String, operation: String) -> Set<FieldPath> {
        entries.first { $0.manager == manager && $0.operation == operation }?.fields ?? []
    }

    /// Managers other than `manager`'s apply that own `path`.
    func otherOwners(of path: FieldPath, than manager: String) -> [String] {
        entries.filter { !($0.manager == manager && $0.operation == "Apply") && $0.fields.contains(path) }.map(\.manager)
    }

    /// An update by `manager` changed `old` into `new` (nil `old`: a create, from a zero object
    /// with `zeroNodes`): it owns what it changed and the maps it made, nobody else does.
    mutating func recordUpdate(
        by manager: String, from old: JSONValue?, to new: JSONValue, zeroNodes: Set<FieldPath> = [],
        apiVersion: String, time: String
    ) {
        let before = old.map(Self.paths) ?? []
        let after = Self.paths(of: new)
        let changed = before.union(after).filter { Self.value(at: $0, in: old ?? .null) != Self.value(at: $0, in: new) }
        let (nodesBefore, nodesAfter) = (old.map(Self.nodes) ?? zeroNodes, Self.nodes(of: new))
        let (made, gone) = (nodesAfter.subtracting(nodesBefore), nodesBefore.subtracting(nodesAfter))
        guard !changed.isEmpty || !made.isEmpty || !gone.isEmpty else { return }
        for index in entries.indices { entries[index].fields.subtract(changed.union(gone)) }
        set(manager, "Update", apiVersion: apiVersion, time: time, fields: fields(of: manager, operation: "Update").union(changed.intersection(after)).union(made))
    }

    /// An apply by `manager` of `fields` (taking any from others when forced).
    mutating func recordApply(by manager: String, fields: Set<FieldPath>, taking taken: Set<FieldPath>, apiVersion: String, time: String) {
        for index in entries.indices where !(entries[index].manager == manager && entries[index].operation == "Apply") {
            entries[index].fields.subtract(taken)
        }
        set(manager, "Apply", apiVersion: apiVersion, time: time, fields: fields)
    }

    private mutating func set(_ manager: String, _ operation: String, apiVersion: String, time: String, fields: Set<FieldPath>) {
        if let index = entries.firstIndex(where: { $0.manager == manager && $0.operation == operation }) {
            if entries[index].fields != fields { entries[index].time = time }
            entries[index].fields = fields
        } else {
            entries.append(Entry(manager: manager, operation: operation, apiVersion: apiVersion, time: time, fields: fields))
        }
        entries.removeAll { $0.fields.isEmpty }
    }

    /// `metadata.managedFields` as the apiserver writes it: applies first, then by time, manager
    /// and apiVersion.
    var json: JSONValue? {
        let sorted = entries.sorted { ($0.operation, $0.time, $0.manager, $0.apiVersion) < ($1.operation, $1.time, $1.manager, $1.apiVersion) }
        return sorted.isEmpty
            ? nil
            : .array(
                sorted.map { entry in
                    .object([
                        "manager": .string(entry.manager), "operation": .string(entry.operation), "apiVersion": .string(entry.apiVersion),
                        "time": .string(entry.time), "fieldsType": .string("FieldsV1"), "fieldsV1": Self.fieldsV1(entry.fields),
                    ])
                })
    }

    // MARK: Paths of an object

    /// The leaf fields of an object: members down to scalars, atomic lists, and map-list items.
    static func paths(of value: JSONValue) -> Set<FieldPath> {
        paths(value, prefix: []).subtracting(serverFields)
    }

    /// The maps and structs within an object (below its top level, status aside) and its keyed
    /// lists, each as its path and `.`.
    static func nodes(of value: JSONValue) -> Set<FieldPath> {
        var result: Set<FieldPath> = []
        func visit(_ value: JSONValue, _ prefix: FieldPath) {
            switch value {
            case .object(let members) where !members.isEmpty:
                if !prefix.isEmpty { result.insert(prefix + ["."]) }
                for (key, child) in members where !(prefix.isEmpty && key == "status") && !serverFields.contains(prefix + [key]) { visit(child, prefix + [key]) }
            case .array where mapLists[prefix] != nil:
                result.insert(prefix + ["."])
            default:
                break
            }
        }
        visit(value, [])
        return result
    }

    private static func paths(_ value: JSONValue, prefix: FieldPath) -> Set<FieldPath> {
        switch value {
        case .object(let members) where !members.isEmpty:
            var result: Set<FieldPath> = []
            for (key, child) in members where prefix != [] || key != "status" { result.formUnion(paths(child, prefix: prefix + [key])) }
            return result
        case .array(let items) where mapLists[prefix] != nil:
            let key = mapLists[prefix]!
            return Set(items.compactMap { $0[key]?.stringValue.map { prefix + [itemKey(key, $0)] } })
        default:
            return prefix.isEmpty ? [] : [prefix]
        }
    }

    static func itemKey(_ key: String, _ value: String) -> String { "k:{\"\(key)\":\"\(value)\"}" }

    static func value(at path: FieldPath, in value: JSONValue) -> JSONValue? {
        var node: JSONValue? = value
        for (index, element) in path.enumerated() {
            if element.hasPrefix("k:"), case .array(let items)? = node, let key = mapLists[Array(path[..<index])] {
                node = items.first { itemKey(key, $0[key]?.stringValue ?? "") == element }
            } else {
                node = node?[element]
            }
        }
        return node
    }

    /// The object without that field; maps emptied by the removal go too, as the apiserver prunes them.
    static func removing(_ path: FieldPath, from value: JSONValue, prefix: FieldPath = []) -> JSONValue {
        guard let head = path.first else { return value }
        if head.hasPrefix("k:"), case .array(let items) = value, let key = mapLists[prefix] {
            return .array(items.filter { itemKey(key, $0[key]?.stringValue ?? "") != head })
        }
        guard case .object(var members) = value else { return value }
        if path.count == 1 {
            members.removeValue(forKey: head)
        } else if let child = members[head] {
            let pruned = removing(Array(path.dropFirst()), from: child, prefix: prefix + [head])
            switch pruned {
            case .object(let rest) where rest.isEmpty: members.removeValue(forKey: head)
            case .array(let rest) where rest.isEmpty: members.removeValue(forKey: head)
            default: members[head] = pruned
            }
        }
        return .object(members)
    }

    /// Applied values laid over the object: maps merge, map-lists merge by key, the rest replaces.
    static func overlay(_ base: JSONValue, _ applied: JSONValue, prefix: FieldPath = []) -> JSONValue {
        if let key = mapLists[prefix], case .array(let incoming) = applied {
            var items: [JSONValue] = []
            if case .array(let existing) = base { items = existing }
            for item in incoming {
                if let index = items.firstIndex(where: { $0[key] == item[key] }) { items[index] = item } else { items.append(item) }
            }
            return .array(items)
        }
        guard case .object(let top) = applied else { return applied }
        var result: [String: JSONValue] = [:]
        if case .object(let members) = base { result = members }
        for (key, value) in top { result[key] = overlay(result[key] ?? .null, value, prefix: prefix + [key]) }
        return .object(result)
    }

    /// A `fieldsV1` tree (`{"f:spec":{"f:maxReplicas":{}}}`) for a set of paths.
    static func fieldsV1(_ paths: Set<FieldPath>) -> JSONValue {
        var root: [String: JSONValue] = [:]
        func insert(_ path: ArraySlice<String>, into node: inout [String: JSONValue]) {
            guard let head = path.first else { return }
            let name = head.hasPrefix("k:") || head == "." ? head : "f:\(head)"
            var child: [String: JSONValue] = [:]
            if case .object(let existing)? = node[name] { child = existing }
            insert(path.dropFirst(), into: &child)
            node[name] = .object(child)
        }
        for path in paths { insert(path[...], into: &root) }
        return .object(root)
    }
}
