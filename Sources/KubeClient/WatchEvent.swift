import KubeModel

/// One line of a watch stream.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A resume point with no object change (`allowWatchBookmarks`).
    case bookmark(resourceVersion: String)
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
        case "ADDED": event = .success(.added(try container.decode(Object.self, forKey: .object)))
        case "MODIFIED": event = .success(.modified(try container.decode(Object.self, forKey: .object)))
        case "DELETED": event = .success(.deleted(try container.decode(Object.self, forKey: .object)))
        case "BOOKMARK":
            event = .success(.bookmark(resourceVersion: try container.decode(Bookmark.self, forKey: .object).metadata.resourceVersion ?? ""))
        case "ERROR": event = .failure(StatusLine(status: try container.decode(Status.self, forKey: .object)))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown watch event type '\(type)'")
        }
    }
}
