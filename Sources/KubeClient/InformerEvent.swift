import KubeModel

/// A change the informer saw, delivered to handlers in order.
public enum InformerEvent<Object: APIObject>: Sendable {
    case added(CachedObject<Object>)
    case updated(old: CachedObject<Object>, new: CachedObject<Object>)
    case deleted(CachedObject<Object>)

    /// An update of what the cache does not keep (a status, the resourceVersion): handlers that
    /// read only the cache have nothing to do for it.
    public var changesNothingCached: Bool {
        if case .updated(let old, let new) = self { return old.hasSameContent(as: new) }
        return false
    }

    /// The object as it is now (for a deletion: as it was last seen).
    public var latest: CachedObject<Object> {
        switch self {
        case .added(let object), .updated(_, let object), .deleted(let object): object
        }
    }
}
