import KubeModel

/// JSON patch (RFC 6902) for the double; merge patches are `JSONValue.mergePatched(with:)` and
/// server-side apply's field sets `ManagedFields`.
enum JSONPatching {
    struct PatchError: Error { var message: String }

    /// RFC 6902 add, remove, replace and test.
    static func jsonPatch(_ target: JSONValue, _ operations: JSONValue) throws(PatchError) -> JSONValue {
        guard case .array(let list) = operations else { throw PatchError(message: "a JSON patch must be an array of operations") }
        var document = target
        for operation in list {
            guard case .object(let fields) = operation, case .string(let op)? = fields["op"], case .string(let path)? = fields["path"] else {
                throw PatchError(message: "each JSON patch operation needs op and path")
            }
            let pointer = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                .map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
            switch op {
            case "add", "replace":
                guard let value = fields["value"] else { throw PatchError(message: "\(op) \(path): value is required") }
                document = try set(document, pointer[...], value, replace: op == "replace", path: path)
            case "remove":
                document = try set(document, pointer[...], nil, replace: true, path: path)
            case "test":
                guard get(document, pointer[...]) == fields["value"] else { throw PatchError(message: "test \(path) failed") }
            default:
                throw PatchError(message: "unsupported JSON patch op '\(op)'")
            }
        }
        return document
    }

    private static func get(_ value: JSONValue, _ pointer: ArraySlice<String>) -> JSONValue? {
        guard let head = pointer.first else { return value }
        switch value {
        case .object(let members): return members[head].flatMap { get($0, pointer.dropFirst()) }
        case .array(let items): return Int(head).flatMap { items.indices.contains($0) ? get(items[$0], pointer.dropFirst()) : nil }
        default: return nil
        }
    }

    private static func set(_ value: JSONValue, _ pointer: ArraySlice<String>, _ newValue: JSONValue?, replace: Bool, path: String) throws(PatchError) -> JSONValue {
        guard let head = pointer.first else { return newValue ?? .null }
        let last = pointer.count == 1
        switch value {
        case .object(var members):
            if last {
                if replace && members[head] == nil { throw PatchError(message: "\(path): no such member") }
                members[head] = newValue
            } else {
                guard let child = members[head] else { throw PatchError(message: "\(path): no such member") }
                members[head] = try set(child, pointer.dropFirst(), newValue, replace: replace, path: path)
            }
            return .object(members)
        case .array(var items):
            let index = head == "-" ? items.count : Int(head) ?? -1
            guard index >= 0, index <= items.count else { throw PatchError(message: "\(path): index out of range") }
            if last {
                if let newValue {
                    if replace {
                        guard index < items.count else { throw PatchError(message: "\(path): index out of range") }
                        items[index] = newValue
                    } else {
                        items.insert(newValue, at: index)
                    }
                } else {
                    guard index < items.count else { throw PatchError(message: "\(path): index out of range") }
                    items.remove(at: index)
                }
            } else {
                guard index < items.count else { throw PatchError(message: "\(path): index out of range") }
                items[index] = try set(items[index], pointer.dropFirst(), newValue, replace: replace, path: path)
            }
            return .array(items)
        default:
            throw PatchError(message: "\(path): parent is not an object or array")
        }
    }
}
