import KubeModel

/// Whether this process may write now: the fence every write of a component goes through (an HPA
/// write, a replica change, an Event). With leader election it is the elector's own answer, true
/// only until the renew deadline has passed since the last renewal, so a leader whose renewals
/// stopped writes nothing more even while a reconcile is under way; without election, always.
///
/// Leader-only work (the controller's workers) is started and stopped by the elector's changes;
/// the fence covers what was already running when leadership was lost.
public struct Leadership: Sendable {
    private let check: @Sendable () -> Bool

    /// No election: this process always writes.
    public static let unelected = Leadership { true }

    public init(_ elector: LeaderElector) {
        check = { elector.isLeader }
    }

    /// Tests: any answer.
    public init(check: @escaping @Sendable () -> Bool) {
        self.check = check
    }

    public var mayWrite: Bool { check() }
}

/// Writes were due while this process did not lead: nothing was written.
public struct NotLeading: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "not the leader: only the replica holding the lease writes" }
}

/// Events through the fence: a follower's (or a lapsed leader's) events are dropped unrecorded,
/// so the leader records them when it comes to the same state.
public struct FencedEventSink: EventSink {
    let sink: any EventSink
    let leadership: Leadership

    public init(_ sink: any EventSink, leadership: Leadership) {
        self.sink = sink
        self.leadership = leadership
    }

    public func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference, repeatable: Bool) async {
        guard leadership.mayWrite else { return }
        await sink.record(kind, reason: reason, message: message, on: object, repeatable: repeatable)
    }

    public func forget(kind: String, namespace: String?, name: String) {
        sink.forget(kind: kind, namespace: namespace, name: name)
    }
}
