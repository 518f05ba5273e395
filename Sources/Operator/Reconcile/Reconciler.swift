/// controller-runtime's `reconcile.Reconciler`: one method, a key in, a result out.
///
/// A reconciler is level-triggered. It is handed the key of something that may have changed, never
/// the change itself, and makes the world match what is observed now: it reads the caches, decides,
/// and writes only what differs. Called twice for the same state, the second call writes nothing.
/// Any number of changes in a row may arrive as one call.
///
/// - Return a result: done, or look again after a while (`requeueAfter`).
/// - Throw to be retried with per-key exponential backoff (a timeout, a 409, the apiserver down).
/// - Throw `TerminalError` when retrying the same state cannot help (the apiserver refused the
///   object as invalid): the key is not retried on the backoff ramp, only after the longest wait, in
///   case something outside changed, and at once when its objects change.
public protocol Reconciler<Key>: Sendable {
    associatedtype Key: Hashable & Sendable

    func reconcile(_ key: Key) async throws -> ReconcileResult
}

public struct ReconcileResult: Equatable, Sendable {
    /// What the reconcile did, for logs and tests.
    public var outcome: Outcome
    /// Look again after this long, whatever changes or not (nil: only when something changes).
    public var requeueAfter: Duration?

    public init(_ outcome: Outcome, requeueAfter: Duration? = nil) {
        self.outcome = outcome
        self.requeueAfter = requeueAfter
    }

    public enum Outcome: Equatable, Sendable {
        /// Nothing to write.
        case inSync
        case created, updated, deleted
        /// The annotations are wrong: an event says why, and no HPA is written.
        case invalid
        /// Another HPA is in the way: an event says which, and it is left alone.
        case conflict
        /// A write was due, but only the leader writes.
        case notLeader
        /// The workload is gone (its HPA goes by garbage collection).
        case gone
    }
}

/// A failure that retrying the same state cannot fix.
public struct TerminalError: Error, CustomStringConvertible {
    public var underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { "\(underlying)" }
}
