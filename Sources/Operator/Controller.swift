import KubeClient
import KubeModel
import Logging

/// controller-runtime's controller: event handlers turn informer events into workload keys, a
/// rate-limited work queue holds each key once, and workers hand keys to the reconciler, retrying
/// failures with per-key backoff. A key is never reconciled by two workers at once.
final class Controller: Sendable {
    let queue: WorkQueue<WorkloadKey>
    private let reconciler: any Reconciler<WorkloadKey>
    private let metrics: OperatorMetrics
    private let logger: Logger

    init(reconciler: any Reconciler<WorkloadKey>, metrics: OperatorMetrics, logger: Logger) {
        self.reconciler = reconciler
        self.metrics = metrics
        self.logger = logger
        let depth = metrics.queueDepth
        queue = WorkQueue(onDepthChange: { depth.set(to: Double($0)) })
    }

    // MARK: Event handlers

    /// Every change to a workload (one the cache keeps) queues that workload.
    func enqueue<T: APIObject>(_ events: AsyncStream<InformerEvent<T>>, kind: String) async {
        for await event in events where !event.changesNothingCached {
            await queue.add(WorkloadKey(kind: kind, namespace: event.latest.namespace ?? "", name: event.latest.name))
        }
    }

    /// HPA changes queue the workloads they concern (their tags, read without decoding): a manual
    /// edit is reverted, a deleted HPA recreated, a foreign HPA on a workload reported.
    func enqueueOwners(_ events: AsyncStream<InformerEvent<HorizontalPodAutoscaler>>) async {
        for await event in events where !event.changesNothingCached {
            let changed = switch event {
            case .added(let hpa), .deleted(let hpa): [hpa]
            case .updated(let old, let new): [old, new]
            }
            for key in Set(changed.flatMap { $0.tags.compactMap(WorkloadKey.init(parsing:)) }) { await queue.add(key) }
        }
    }

    // MARK: Workers

    /// Runs `count` workers until the queue shuts down; a reconcile in progress always finishes.
    func run(workers count: Int) async {
        await withTaskGroup(of: Void.self) { workers in
            for _ in 0..<max(count, 1) {
                workers.addTask { await self.work() }
            }
        }
    }

    func shutDown() async { await queue.shutDown() }

    private func work() async {
        while let key = await queue.next() {
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
                logger.warning("reconcile failed in a way retrying cannot fix; trying again when the workload or its HPA changes",
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
}
