import Synchronization

/// Where leader-only work waits: open while this process leads, closed while it does not, shut
/// for good when the process stops (every waiter is let go then, with false).
public final class Gate: Sendable {
    private struct State {
        var open: Bool
        var shut = false
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    private let state: Mutex<State>

    public init(open: Bool) {
        state = Mutex(State(open: open))
    }

    public var isOpen: Bool { state.withLock { $0.open && !$0.shut } }

    public func set(open: Bool) {
        let released = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.open = open
            guard open, !state.shut else { return [] }
            defer { state.waiting = [] }
            return state.waiting
        }
        released.forEach { $0.resume(returning: true) }
    }

    public func shut() {
        let released = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.shut = true
            defer { state.waiting = [] }
            return state.waiting
        }
        released.forEach { $0.resume(returning: false) }
    }

    /// True once the gate is open (at once if it is); false once it is shut.
    public func pass() async -> Bool {
        await withCheckedContinuation { continuation in
            let answer = state.withLock { state -> Bool? in
                if state.shut { return false }
                if state.open { return true }
                state.waiting.append(continuation)
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }
}
