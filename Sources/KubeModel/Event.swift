/// core/v1 `Event`, as `kubectl describe` shows them.
public struct Event: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    /// `Normal` or `Warning`.
    public var type: String?
    public var source: EventSource?
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var count: Int32?
    public var reportingComponent: String?
    public var reportingInstance: String?

    public init(metadata: ObjectMeta, involvedObject: ObjectReference, reason: String, message: String, type: String, component: String, instance: String, time: String) {
        self.apiVersion = "v1"
        self.kind = "Event"
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.reason = reason
        self.message = message
        self.type = type
        self.source = EventSource(component: component)
        self.firstTimestamp = time
        self.lastTimestamp = time
        self.count = 1
        self.reportingComponent = component
        self.reportingInstance = instance
    }
}

public struct ObjectReference: Codable, Hashable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?

    public init(apiVersion: String?, kind: String?, namespace: String?, name: String?, uid: String?) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}

public struct EventSource: Codable, Hashable, Sendable {
    public var component: String?
}
