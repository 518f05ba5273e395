/// `metadata.managedFields`, kept as JSON but decoded by its known shape: a list of entries whose
/// `fieldsV1` is a tree of objects. Decoding it as a generic `JSONValue` tried each kind in turn
/// and threw on every miss (one thrown error per node of every field tree): a fifth of the
/// operator's CPU during an initial sync. Anything of another shape still decodes, generically.
@propertyWrapper
public struct ManagedFieldsJSON: Codable, Hashable, Sendable {
    public var wrappedValue: JSONValue?

    public init(wrappedValue: JSONValue?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        if let entries = try? [Entry](from: decoder) {
            wrappedValue = .array(entries.map(\.json))
        } else {
            wrappedValue = try JSONValue?(from: decoder)
        }
    }

    public func encode(to encoder: any Encoder) throws { try wrappedValue.encode(to: encoder) }

    struct Entry: Decodable {
        var strings: [String: String] = [:]
        var fieldsV1: FieldsTree?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys {
                if key.stringValue == "fieldsV1" {
                    fieldsV1 = try container.decode(FieldsTree.self, forKey: key)
                } else {
                    strings[key.stringValue] = try container.decode(String.self, forKey: key)
                }
            }
        }

        var json: JSONValue {
            var members = strings.mapValues(JSONValue.string)
            if let fieldsV1 { members["fieldsV1"] = fieldsV1.json }
            return .object(members)
        }
    }

    /// `{"f:spec": {"f:metrics": {}}, "k:{...}": {".": {}}}`: objects all the way down.
    struct FieldsTree: Decodable {
        var members: [String: FieldsTree] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys { members[key.stringValue] = try container.decode(FieldsTree.self, forKey: key) }
        }

        var json: JSONValue { .object(members.mapValues(\.json)) }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension KeyedDecodingContainer {
    /// An absent `managedFields` is nil, as for any optional.
    public func decode(_ type: ManagedFieldsJSON.Type, forKey key: Key) throws -> ManagedFieldsJSON {
        try decodeIfPresent(type, forKey: key) ?? ManagedFieldsJSON(wrappedValue: nil)
    }
}

extension KeyedEncodingContainer {
    /// A nil `managedFields` is left out, as for any optional.
    public mutating func encode(_ value: ManagedFieldsJSON, forKey key: Key) throws {
        if let json = value.wrappedValue { try encode(json, forKey: key) }
    }
}
