/// Any JSON value, kept as it came. Used for fields we carry but do not interpret
/// (`metadata.managedFields`), and by tests that compare documents structurally.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        // Decoders cannot tell what comes next, so each kind is tried in turn, and every miss
        // is a thrown (and costly) error: the kinds Kubernetes documents are mostly made of
        // (strings and objects) go first.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The same value with every `null` object member removed, recursively: the apiserver
    /// writes some absent fields as `null`, and our encoders omit them.
    public var withoutNullMembers: JSONValue {
        switch self {
        case .array(let items): return .array(items.map(\.withoutNullMembers))
        case .object(let members):
            return .object(members.compactMapValues { $0 == .null ? nil : $0.withoutNullMembers })
        default: return self
        }
    }

    /// An object member; nil when absent or when this is not an object. Setting nil removes it;
    /// setting on a non-object does nothing.
    public subscript(member: String) -> JSONValue? {
        get { if case .object(let members) = self { return members[member] } else { return nil } }
        set {
            guard case .object(var members) = self else { return }
            members[member] = newValue
            self = .object(members)
        }
    }

    public var stringValue: String? { if case .string(let text) = self { return text } else { return nil } }
}
