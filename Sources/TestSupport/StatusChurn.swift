import Foundation
import KubeClient
import KubeModel
import Synchronization

/// Status-only updates of Deployments at a steady rate, as kubelets and the deployment controller
/// send them in a busy cluster: merge patches of `status` (no resourceVersion, so they never
/// conflict with other writers), spread over concurrent lanes. The benchmarks time annotation
/// edits while it runs: the operator must ignore the churn and still write edits at once.
public final class StatusChurn: Sendable {
    private let sent = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let firstError = Mutex<String?>(nil)
    private let started = ContinuousClock.now
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Starts patching `workloads` round-robin at `perSecond` over `lanes` connections; a lane that
    /// falls behind sends at once, so the rate reached is printed, not assumed.
    public init(client: KubeClient, workloads targets: [ObjectKey], perSecond: Int, lanes: Int = 16) {
        precondition(!targets.isEmpty && perSecond > 0 && lanes > 0)
        let interval = Duration.seconds(1) / perSecond
        task.withLock {
            $0 = Task { [self] in
                await withTaskGroup(of: Void.self) { group in
                    for lane in 0..<lanes {
                        group.addTask {
                            var number = lane
                            while !Task.isCancelled {
                                let due = self.started + interval * number
                                if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
                                let target = targets[number % targets.count]
                                let replicas = number % 7 + 1
                                let body = #"{"status":{"replicas":\#(replicas),"readyReplicas":\#(replicas),"availableReplicas":\#(replicas),"observedGeneration":1}}"#
                                do {
                                    _ = try await client.patch(Deployment.self, namespace: target.namespace, name: target.name, .merge(Data(body.utf8)), subresource: "status")
                                    self.sent.add(1, ordering: .relaxed)
                                } catch {
                                    if Task.isCancelled { return }
                                    self.failed.add(1, ordering: .relaxed)
                                    self.firstError.withLock { $0 = $0 ?? "\(error)" }
                                }
                                number += lanes
                            }
                        }
                    }
                }
            }
        }
    }

    /// Stops it; returns the updates that succeeded per second since the start, and the failures
    /// ("", or how many and the first one's error).
    public func stop() async -> (perSecond: Double, failures: String) {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
        let failed = failed.load(ordering: .relaxed)
        return (
            Double(sent.load(ordering: .relaxed)) / Measure.seconds(ContinuousClock.now - started),
            failed == 0 ? "" : "; \(failed) failed, the first with: \(firstError.withLock { $0 } ?? "")"
        )
    }
}
