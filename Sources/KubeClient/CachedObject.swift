import Foundation
import KubeModel

/// One object as an informer caches it: its JSON, decoded when read. That is one allocation per
/// object instead of a tree of strings, arrays and dictionaries (about five times smaller), and a
/// reference wherever it is kept or queued for a slow reader. (Sendable: the storage is never
/// written after it is made.)
public struct CachedObject<Object: APIObject>: @unchecked Sendable {
    private let storage: CachedBytes

    /// The resourceVersion is kept beside the JSON, not in it, so two versions of an object whose
    /// cached content is the same have the same JSON (see `hasSameContent`).
    /// - Parameter tags: short facts about the object that readers want without decoding it (and
    ///   that the cache indexes it by).
    public init(_ object: Object, tags: [String] = []) throws {
        var unversioned = object
        unversioned.metadata.resourceVersion = nil
        let json = try KubeClient.encoder.encode(unversioned)
        storage = CachedBytes.make(
            CachedBytes.Header(
                namespace: object.metadata.namespace, name: object.metadata.name ?? "",
                resourceVersion: object.metadata.resourceVersion, tags: tags, count: json.count), json)
    }

    public var namespace: String? { storage.header.namespace }
    public var name: String { storage.header.name }
    public var resourceVersion: String? { storage.header.resourceVersion }
    /// What the informer's `tags` said of the object when it was cached.
    public var tags: [String] { storage.header.tags }
    /// The size of the cached JSON.
    public var byteCount: Int { storage.header.count }

    /// The cache's key: `namespace/name`.
    public var key: ObjectKey { ObjectKey(namespace: namespace, name: name) }

    /// The object. It was encoded from the same type, so this fails only on a bug in a model
    /// type's Codable conformance (the tests round-trip every cached kind).
    public func decoded() throws -> Object {
        var object = try cacheDecoder.decode(Object.self, from: storage.json)
        object.metadata.resourceVersion = resourceVersion
        return object
    }

    /// True when everything cached of the two is the same, whatever their resourceVersions: an
    /// update that changed only what the informer's transform drops (a status, say) needs no work.
    public func hasSameContent(as other: CachedObject) -> Bool {
        storage === other.storage || storage.hasSameBytes(as: other.storage)
    }
}

/// A cached object's identity and JSON in a single allocation.
private final class CachedBytes: ManagedBuffer<CachedBytes.Header, UInt8> {
    struct Header {
        let namespace: String?
        let name: String
        let resourceVersion: String?
        let tags: [String]
        let count: Int
    }

    static func make(_ header: Header, _ json: Data) -> CachedBytes {
        let buffer = create(minimumCapacity: header.count) { _ in header }
        buffer.withUnsafeMutablePointerToElements { elements in _ = json.copyBytes(to: UnsafeMutableBufferPointer(start: elements, count: header.count)) }
        return unsafeDowncast(buffer, to: CachedBytes.self)
    }

    var json: Data {
        withUnsafeMutablePointerToElements { Data(bytes: $0, count: header.count) }
    }

    func hasSameBytes(as other: CachedBytes) -> Bool {
        header.count == other.header.count
            && withUnsafeMutablePointerToElements { mine in
                other.withUnsafeMutablePointerToElements { theirs in memcmp(mine, theirs, header.count) == 0 }
            }
    }
}

private let cacheDecoder = JSONDecoder()
