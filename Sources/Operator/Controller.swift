import KubeClient
import KubeModel
import Logging
import Synchronization

/// controller-runtime's controller: event handlers turn informer events into workload keys, a
/// rate-limited work queue holds each key once, and workers hand keys to the reconciler, retrying
/// failures with per-key backoff. A key is never reconciled by two workers at once.
///
/// Leader-only, as controller-runtime's controllers are: the handlers queue and the workers take
/// keys only while `leading` is open; the manager opens it on election (and queues every workload
/// then) and closes it when leadership is lost. A follower's caches stay warm meanwhile.
final class Controller: Sendable {
    let queue: WorkQueue<WorkloadKey>
    let leading: Gate
    private let reconciler: any Reconciler<WorkloadKey>
    private let metrics: OperatorMetrics
    private let logger: Logger
    /// The queue's depth whenever keys are waiting: what the pool grows on.
    private let backlog: AsyncStream<Int>
    private let backlogChanges: AsyncStream<Int>.Continuation
    /// Workers beyond the standing ones, working while there is a backlog.
    private let extraWorkers = Atomic<Int>(0)

    init(reconciler: any Reconciler<WorkloadKey>, leading: Gate = Gate(open: true), metrics: OperatorMetrics, logger: Logger) {
        self.reconciler = reconciler
        self.leading = leading
        self.metrics = metrics
        self.logger = logger
        let depth = metrics.queueDepth
        let (backlog, backlogChanges) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        self.backlog = backlog
        self.backlogChanges = backlogChanges
        queue = WorkQueue(onDepthChange: { count in
            depth.set(to: Double(count))
            if count > 0 { backlogChanges.yield(count) }
        })
    }

    // MARK: Event handlers

    /// Every change to a workload (one the cache keeps) queues that workload, while leading.
    func enqueue<T: APIObject>(_ events: AsyncStream<InformerEvent<T>>, kind: String) async {
        for await event in events where !event.changesNothingCached && leading.isOpen {
            await queue.add(WorkloadKey(kind: kind, namespace: event.latest.namespace ?? "", name: event.latest.name))
        }
    }

    /// HPA changes queue the workloads they concern (their tags, read without decoding): a manual
    /// edit is reverted, a deleted HPA recreated, a foreign HPA on a workload reported.
    func enqueueOwners(_ events: AsyncStream<InformerEvent<HorizontalPodAutoscaler>>) async {
        for await event in events where !event.changesNothingCached && leading.isOpen {
            let changed =
                switch event {
                case .added(let hpa), .deleted(let hpa): [hpa]
                case .updated(let old, let new): [old, new]
                }
            for key in Set(changed.flatMap { $0.tags.compactMap(WorkloadKey.init(parsing:)) }) { await queue.add(key) }
        }
    }

    // MARK: Workers

    /// Runs `count` standing workers until the queue shuts down, and, while keys wait (an initial
    /// sync, a leader takeover), more, up to `maximum` in all: each extra one works while a key is
    /// ready and then ends. The queue hands a key to one worker at a time, so however many run,
    /// no two reconcile one workload at once. A reconcile in progress always finishes. Workers
    /// take keys only while leading.
    func run(workers count: Int, upTo maximum: Int) async {
        let standing = max(count, 1)
        await withDiscardingTaskGroup { workers in
            for _ in 0..<standing {
                workers.addTask { while let key = await self.next() { await self.reconcile(key) } }
            }
            for await depth in backlog {
                while extraWorkers.load(ordering: .relaxed) < min(maximum - standing, depth) {
                    extraWorkers.add(1, ordering: .relaxed)
                    workers.addTask {
                        while self.leading.isOpen, let key = await self.queue.nextIfReady() { await self.reconcile(key) }
                        self.extraWorkers.subtract(1, ordering: .relaxed)
                    }
                }
            }
        }
    }

    /// The next key once leading; nil once the queue is shut down. A key taken as leadership
    /// went is put down: the next election queues every workload again.
    private func next() async -> WorkloadKey? {
        while await leading.pass() {
            guard let key = await queue.next() else { return nil }
            if leading.isOpen { return key }
            await queue.done(key)
        }
        return nil
    }

    /// Workers running beyond the standing ones (0 once no key waits).
    var extraWorkerCount: Int { extraWorkers.load(ordering: .relaxed) }

    func shutDown() async {
        leading.shut()
        await queue.shutDown()
        backlogChanges.finish()
    }

    private func reconcile(_ key: WorkloadKey) async {
        let started = ContinuousClock.now
        do {
            let result = try await reconciler.reconcile(key)
            await queue.forget(key)
            metrics.reconcileSuccess.increment()
            if ![.inSync, .gone, .notLeader].contains(result.outcome) {
                logger.debug("reconciled", metadata: ["workload": "\(key)", "outcome": "\(result.outcome)"])
            }
            if let after = result.requeueAfter { await queue.add(key, after: after) }
        } catch let error as TerminalError {
            metrics.reconcileError.increment()
            await queue.forget(key)
            logger.warning(
                "reconcile failed in a way retrying cannot fix; trying again when the workload or its HPA changes",
                metadata: ["workload": "\(key)", "error": "\(error)"])
            await queue.add(key, after: queue.backoff.maximum)
        } catch {
            metrics.reconcileError.increment()
            let retries = await queue.failureCount(key)
            logger.warning("reconcile failed; retrying with backoff", metadata: ["workload": "\(key)", "error": "\(error)", "retries": "\(retries)"])
            await queue.addRateLimited(key)
        }
        metrics.reconcileDuration.record(ContinuousClock.now - started)
        await queue.done(key)
    }
}
