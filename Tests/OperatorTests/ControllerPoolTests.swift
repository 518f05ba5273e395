import Foundation
import KubeClient
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Operator

/// The worker pool: two standing workers when idle, more while keys wait, never more than the
/// cap, and never two reconciles of one workload at once (however many workers run).
@Suite struct ControllerPoolTests {
    /// Holds every reconcile until released, counting how many run at once, overall and per key.
    final class Gate: Reconciler, Sendable {
        struct Counts { var running = 0, peak = 0, done = 0, perKey: [WorkloadKey: Int] = [:], overlapped = false }
        let counts = Mutex(Counts())
        let open = Atomic<Bool>(false)

        func reconcile(_ key: WorkloadKey) async throws -> ReconcileResult {
            counts.withLock {
                $0.running += 1
                $0.peak = max($0.peak, $0.running)
                $0.perKey[key, default: 0] += 1
                if $0.perKey[key]! > 1 { $0.overlapped = true }
            }
            while !open.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(5)) }
            counts.withLock {
                $0.running -= 1
                $0.perKey[key]! -= 1
                $0.done += 1
            }
            return ReconcileResult(.created)
        }
    }

    static func key(_ index: Int) -> WorkloadKey { WorkloadKey(kind: "Deployment", namespace: "shop", name: "web-\(index)") }

    @Test func growsForABacklogUpToItsCapAndNeverRunsOneKeyTwice() async throws {
        let gate = Gate()
        let quiet = Logger.quiet("pool")
        let controller = Controller(reconciler: gate, metrics: OperatorMetrics(), logger: quiet)
        let pool = Task { await controller.run(workers: 2, upTo: 8) }
        for index in 0..<100 { await controller.queue.add(Self.key(index)) }
        // The backlog brings the pool to its cap, and no further.
        #expect(try await Poll.until { gate.counts.withLock { $0.running } == 8 })
        // Keys changed while in progress (8) are redone after, not alongside; queued ones stay queued once.
        for index in 0..<100 { await controller.queue.add(Self.key(index)) }
        gate.open.store(true, ordering: .relaxed)
        #expect(try await Poll.until { gate.counts.withLock { $0.done == 108 && $0.running == 0 } })
        let counts = gate.counts.withLock { $0 }
        #expect(counts.peak == 8)
        #expect(!counts.overlapped)
        await controller.shutDown()
        await pool.value
    }

    /// Once the backlog is worked off, the extra workers end: an idle operator keeps only its
    /// standing ones.
    @Test func extraWorkersEndWhenNoKeyWaits() async throws {
        let gate = Gate()
        gate.open.store(true, ordering: .relaxed)
        let controller = Controller(reconciler: gate, metrics: OperatorMetrics(), logger: Logger(label: "pool"))
        let pool = Task { await controller.run(workers: 2, upTo: 8) }
        for index in 0..<100 { await controller.queue.add(Self.key(index)) }
        #expect(try await Poll.until { gate.counts.withLock { $0.done == 100 } })
        #expect(try await Poll.until { controller.extraWorkerCount == 0 })
        await controller.shutDown()
        await pool.value
    }
}
