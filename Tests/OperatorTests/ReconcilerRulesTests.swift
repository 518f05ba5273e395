import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import Synchronization
import Testing
@testable import Operator

/// The reconcile rules as a table: a cached world in, the writes and events out, in milliseconds
/// and without a server. End to end, the same rules run against the double and the real apiserver.
@Suite("Reconcile rules")
struct ReconcilerRulesTests {
    static let annotations = [
        "hpa.autoscaling.banzaicloud.io/minReplicas": "1",
        "hpa.autoscaling.banzaicloud.io/maxReplicas": "10",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "sum(rate(http_requests_total[2m]))",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40",
    ]
    static let key = WorkloadKey(kind: "Deployment", namespace: "shop", name: "web")

    static func workload(_ annotations: [String: String]?, deleting: Bool = false) -> ObservedWorkload {
        var metadata = ObjectMeta(name: "web", namespace: "shop", uid: "workload-uid", annotations: annotations)
        if deleting { metadata.deletionTimestamp = "2024-05-01T12:00:00Z" }
        return .deployment(Deployment(metadata: metadata))
    }

    /// The HPA the operator would apply for these annotations, as stored.
    static func ours(_ annotations: [String: String] = Self.annotations) -> HorizontalPodAutoscaler {
        guard case .hpa(var hpa, _) = workload(annotations).desired(style: .object) else { fatalError("the table's annotations are valid") }
        hpa.metadata.uid = "hpa-uid"
        return hpa
    }

    static func foreign() -> HorizontalPodAutoscaler {
        var hpa = ours()
        hpa.metadata.ownerReferences = nil
        return hpa
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var workload: ObservedWorkload?
        var hpa: HorizontalPodAutoscaler?
        var leader = true
        var outcome: ReconcileResult.Outcome
        var writes: [String]
        var events: [String]
        var testDescription: String { name }
    }

    static var maxTwenty: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplicas": "20"]) { $1 } }
    static var invalid: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplicas": "ten"]) { $1 } }
    static var withUnknownKey: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplica": "3"]) { $1 } }

    static let cases: [Case] = [
        Case(name: "annotated, no HPA: created", workload: workload(annotations), outcome: .created, writes: ["apply shop/web"], events: ["Normal HPACreated"]),
        Case(name: "annotated, our HPA in sync: nothing", workload: workload(annotations), hpa: ours(), outcome: .inSync, writes: [], events: []),
        Case(name: "annotated, our HPA differs: updated", workload: workload(maxTwenty), hpa: ours(), outcome: .updated, writes: ["apply shop/web"], events: ["Normal HPAUpdated"]),
        Case(name: "annotated, a foreign HPA of the name: conflict", workload: workload(annotations), hpa: foreign(), outcome: .conflict, writes: [], events: ["Warning HPAConflict"]),
        Case(name: "invalid, no HPA: warned, nothing written", workload: workload(invalid), outcome: .invalid, writes: [], events: ["Warning InvalidHPAAnnotations"]),
        Case(name: "invalid, our HPA: warned, left as it is", workload: workload(invalid), hpa: ours(), outcome: .invalid, writes: [], events: ["Warning InvalidHPAAnnotations"]),
        Case(name: "an unknown key: warned and applied", workload: workload(withUnknownKey), outcome: .created, writes: ["apply shop/web"], events: ["Warning InvalidHPAAnnotations", "Normal HPACreated"]),
        Case(name: "unannotated, our HPA: deleted", workload: workload(nil), hpa: ours(), outcome: .deleted, writes: ["delete shop/web hpa-uid"], events: ["Normal HPADeleted"]),
        Case(name: "unannotated, a foreign HPA: untouched", workload: workload(nil), hpa: foreign(), outcome: .inSync, writes: [], events: []),
        Case(name: "unannotated, no HPA: nothing", workload: workload(nil), outcome: .inSync, writes: [], events: []),
        Case(name: "workload gone: garbage collection's job", workload: nil, hpa: ours(), outcome: .gone, writes: [], events: []),
        Case(name: "workload being deleted: nothing", workload: workload(annotations, deleting: true), outcome: .gone, writes: [], events: []),
        Case(name: "follower, a create due: nothing", workload: workload(annotations), leader: false, outcome: .notLeader, writes: [], events: []),
        Case(name: "follower, a delete due: nothing", workload: workload(nil), hpa: ours(), leader: false, outcome: .notLeader, writes: [], events: []),
        Case(name: "follower, in sync: in sync", workload: workload(annotations), hpa: ours(), leader: false, outcome: .inSync, writes: [], events: []),
    ]

    @Test(arguments: cases)
    func rule(_ row: Case) async throws {
        let world = World(workload: row.workload, hpa: row.hpa)
        let reconciler = world.reconciler(leader: row.leader)
        let result = try await reconciler.reconcile(Self.key)
        #expect(result.outcome == row.outcome)
        #expect(world.writes == row.writes)
        #expect(world.events == row.events)
        // Level-triggered: the same world again writes nothing new.
        if row.outcome == .inSync {
            _ = try await reconciler.reconcile(Self.key)
            #expect(world.writes == row.writes)
        }
    }

    @Test func aFailedWriteIsThrownForTheControllerToRetry() async throws {
        let world = World(workload: Self.workload(Self.annotations), hpa: nil, failing: KubeError.serverError(Status(message: "etcd timeout", reason: "InternalError", code: 500)))
        await #expect(throws: KubeError.self) { try await world.reconciler(leader: true).reconcile(Self.key) }
        #expect(world.events.isEmpty, "no HPACreated for an HPA that was not created")
    }
}

/// An in-memory cache, a writer and an event sink that record what the reconciler did.
final class World: AutoscalingCache, HPAWriter, EventSink, Sendable {
    let observed: ObservedWorkload?
    let live: HorizontalPodAutoscaler?
    let failing: (any Error & Sendable)?
    private let log = Mutex<(writes: [String], events: [String])>(([], []))

    init(workload: ObservedWorkload?, hpa: HorizontalPodAutoscaler?, failing: (any Error & Sendable)? = nil) {
        observed = workload
        live = hpa
        self.failing = failing
    }

    var writes: [String] { log.withLock { $0.writes } }
    var events: [String] { log.withLock { $0.events } }

    func reconciler(leader: Bool) -> HPAReconciler {
        var quiet = Logger(label: "rules")
        quiet.logLevel = .critical
        return HPAReconciler(cache: self, writer: self, events: self, style: .object, logger: quiet, isLeader: { leader })
    }

    func workload(_ key: WorkloadKey) -> ObservedWorkload? { observed }
    func hpa(namespace: String, name: String) -> HorizontalPodAutoscaler? { live }

    func apply(_ hpa: HorizontalPodAutoscaler) async throws {
        if let failing { throw failing }
        log.withLock { $0.writes.append("apply \(hpa.metadata.qualifiedName)") }
    }

    func delete(namespace: String, name: String, uid: String) async throws {
        if let failing { throw failing }
        log.withLock { $0.writes.append("delete \(namespace)/\(name) \(uid)") }
    }

    func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference) async {
        log.withLock { $0.events.append("\(kind.rawValue) \(reason)") }
    }

    func forget(kind: String, namespace: String?, name: String) {}
}
