import KubeClient

/// client-go's rate-limited work queue: a key waiting is queued once however often it is added;
/// a key is never handed to two workers at once (added while in progress, it is queued again when
/// done); failures are retried after a per-key exponential backoff.
public actor WorkQueue<Key: Hashable & Sendable> {
    /// client-go's per-item rate limiter: 5 ms doubling per consecutive failure, up to 5 min, exact.
    public static var defaultBackoff: Backoff { Backoff(initial: .milliseconds(5), maximum: .seconds(300), jitter: 0) }
    public nonisolated let backoff: Backoff
    /// Keys waiting, oldest first, from `head` on (taking from the front is O(1); the array is
    /// compacted as it drains, and its memory released once empty).
    private var order: [Key] = []
    private var head = 0
    private var queued: Set<Key> = []
    private var processing: Set<Key> = []
    private var dirty: Set<Key> = []
    private var failures: [Key: Int] = [:]
    private var waiting: [CheckedContinuation<Key?, Never>] = []
    /// Keys added with a delay, and the one task that sleeps until the earliest is due.
    private var delayed = Timetable<Key>()
    private var timer: Task<Void, Never>?
    private var shuttingDown = false
    private let onDepthChange: @Sendable (Int) -> Void

    public init(backoff: Backoff = WorkQueue.defaultBackoff, onDepthChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.backoff = backoff
        self.onDepthChange = onDepthChange
    }

    public var depth: Int { order.count - head }

    public func add(_ key: Key) {
        guard !shuttingDown else { return }
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard queued.insert(key).inserted else { return }
        if !waiting.isEmpty {
            queued.remove(key)
            processing.insert(key)
            waiting.removeFirst().resume(returning: key)
        } else {
            order.append(key)
            onDepthChange(depth)
        }
    }

    /// Adds the key after `delay` (a requeue the reconciler asked for, a backoff); a key waiting
    /// already is added at the earlier of its two times. One timer serves every waiting key.
    public func add(_ key: Key, after delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        if delayed.planUnlessSooner(key, at: .now + delay) { rearm() }
    }

    /// Keys added after a delay: those due now join the queue, and the timer sleeps until the next.
    private func rearm() {
        timer?.cancel()
        timer = nil
        guard let due = delayed.earliest() else { return }
        timer = Task { [weak self] in
            do { try await Task.sleep(until: due, clock: .continuous) } catch { return }
            await self?.addDue()
        }
    }

    private func addDue() {
        while let key = delayed.takeDue(by: .now) { add(key) }
        rearm()
    }

    /// Keys waiting for their delay to pass.
    public var delayedCount: Int { delayed.count }

    /// Adds the key again after its backoff (by default 5 ms, doubling per consecutive failure, up to 5 min).
    public func addRateLimited(_ key: Key) {
        let attempts = failures[key, default: 0]
        failures[key] = attempts + 1
        add(key, after: backoff.delay(afterFailures: attempts + 1))
    }

    /// The key succeeded: its next failure starts the backoff afresh.
    public func forget(_ key: Key) {
        failures[key] = nil
    }

    public func failureCount(_ key: Key) -> Int { failures[key, default: 0] }

    /// The next key to work on; nil once the queue is shut down.
    public func next() async -> Key? {
        if let key = nextIfReady() { return key }
        if shuttingDown { return nil }
        return await withCheckedContinuation { waiting.append($0) }
    }

    /// The next key when one is ready now; nil when none is (or the queue is shut down).
    public func nextIfReady() -> Key? {
        if head < order.count {
            let key = order[head]
            head += 1
            if head == order.count {
                // Drained: let go of the storage a burst (the initial sync) grew.
                order = []
                queued = []
                head = 0
            } else if head >= 1024 && head * 2 >= order.count {
                order.removeFirst(head)
                head = 0
            }
            onDepthChange(depth)
            queued.remove(key)
            processing.insert(key)
            return key
        }
        return nil
    }

    /// The worker finished with the key.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil { add(key) }
    }

    /// Stops intake: queued keys are dropped and waiting workers get nil. Keys in progress finish.
    public func shutDown() {
        shuttingDown = true
        timer?.cancel()
        delayed.removeAll()
        order = []
        head = 0
        queued = []
        dirty = []
        onDepthChange(0)
        for worker in waiting { worker.resume(returning: nil) }
        waiting = []
    }

    public var inProgress: Int { processing.count }
}
