/// RFC 7386 JSON merge patches: objects merge member by member, `null` removes a member, anything
/// else replaces the whole value (lists included).
extension JSONValue {
    /// This value with `patch` applied.
    public func mergePatched(with patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var result: [String: JSONValue] = [:]
        if case .object(let members) = self { result = members }
        for (key, value) in changes {
            if value == .null { result.removeValue(forKey: key) } else { result[key] = (result[key] ?? .null).mergePatched(with: value) }
        }
        return .object(result)
    }

    /// The merge patch that turns `old` into `new`: the members that changed, and `null` for each
    /// member `new` no longer has.
    public static func mergePatch(from old: JSONValue, to new: JSONValue) -> JSONValue {
        guard case .object(let before) = old, case .object(let after) = new else { return new }
        var patch: [String: JSONValue] = [:]
        for (key, value) in after where before[key] != value { patch[key] = mergePatch(from: before[key] ?? .null, to: value) }
        for key in before.keys where after[key] == nil { patch[key] = .null }
        return .object(patch)
    }
}
