import DecodingErrorText
import KubeModel

/// One line of a watch stream.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A resume point with no object change (`allowWatchBookmarks`).
    case bookmark(resourceVersion: String)
    /// An object that changed but does not decode as `Object` (a field of a type the model does
    /// not expect): reported and skipped, so one bad object never stops the stream.
    case undecodable(UndecodableObject)
}

/// An object that could not be read: who it is, and why.
public struct UndecodableObject: Error, Sendable, CustomStringConvertible {
    public var namespace: String?
    public var name: String?
    public var resourceVersion: String?
    public var reason: String

    public var key: ObjectKey? { name.map { ObjectKey(namespace: namespace, name: $0) } }
    public var description: String { "\(key?.description ?? "an object without a name") cannot be read and is skipped: \(reason)" }
}

/// A list page whose items are decoded one by one.
struct LenientList<Object: Decodable & Sendable>: Decodable {
    var metadata: ListMeta?
    var items: [Lenient<Object>]?
}

/// Decodes `Object`, or, when it does not decode, who it was.
struct Lenient<Object: Decodable & Sendable>: Decodable, Sendable {
    var value: Result<Object, UndecodableObject>

    private struct Identity: Decodable {
        struct Meta: Decodable {
            var namespace: String?
            var name: String?
            var resourceVersion: String?
        }
        var metadata: Meta?
    }

    init(from decoder: any Decoder) throws {
        do {
            value = .success(try Object(from: decoder))
        } catch {
            let meta = (try? Identity(from: decoder))?.metadata
            value = .failure(
                UndecodableObject(
                    namespace: meta?.namespace, name: meta?.name, resourceVersion: meta?.resourceVersion,
                    reason: DecodingErrorText.describe(error)))
        }
    }
}

/// Decodes a watch line in one pass: the object's type depends on the event type, and BOOKMARK
/// objects are zero-valued shells that must not be decoded as the real type.
struct WatchLine<Object: Decodable & Sendable>: Decodable {
    /// An event, or the Status of an ERROR line (which the watch stream throws, never yields).
    var event: Result<WatchEvent<Object>, StatusLine>

    struct StatusLine: Error {
        var status: Status
    }

    private enum CodingKeys: String, CodingKey { case type, object }

    private struct Bookmark: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "ADDED", "MODIFIED", "DELETED":
            switch try container.decode(Lenient<Object>.self, forKey: .object).value {
            case .success(let object): event = .success(type == "ADDED" ? .added(object) : type == "MODIFIED" ? .modified(object) : .deleted(object))
            case .failure(let undecodable): event = .success(.undecodable(undecodable))
            }
        case "BOOKMARK":
            event = .success(.bookmark(resourceVersion: try container.decode(Bookmark.self, forKey: .object).metadata.resourceVersion ?? ""))
        case "ERROR": event = .failure(StatusLine(status: try container.decode(Status.self, forKey: .object)))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type '\(type)'")
        }
    }
}
