import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import Synchronization
import TestSupport
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

    /// Our HPA as stored after an earlier state of the annotations with an interval, its fields
    /// owned by our `operation` entry (Update: it was created by POST).
    static func ours(withInterval operation: String) -> HorizontalPodAutoscaler {
        var hpa = ours(annotations.merging(["prometheus.rps.hpa.autoscaling.banzaicloud.io/interval": "15s"]) { $1 })
        let keys = (hpa.metadata.annotations ?? [:]).keys.map { ("f:\($0)", JSONValue.object([:])) }
        hpa.metadata.managedFields = .array([
            .object([
                "manager": .string("hpa-operator"), "operation": .string(operation),
                "fieldsV1": .object(["f:metadata": .object(["f:annotations": .object(Dictionary(uniqueKeysWithValues: keys))]), "f:spec": .object(["f:metrics": .object([:])])]),
            ])
        ])
        return hpa
    }

    /// Our HPA as stored while paused, `spec.behavior` owned by our `operation` entry.
    static func oursPaused(_ operation: String) -> HorizontalPodAutoscaler {
        var hpa = ours(paused)
        hpa.metadata.managedFields = .array([
            .object([
                "manager": .string("hpa-operator"), "operation": .string(operation),
                "fieldsV1": .object(["f:spec": .object(["f:behavior": .object([:]), "f:metrics": .object([:])])]),
            ])
        ])
        return hpa
    }

    static func foreign() -> HorizontalPodAutoscaler {
        var hpa = ours()
        hpa.metadata.ownerReferences = nil
        return hpa
    }

    /// A user's HPA of another name on the same Deployment.
    static func another() -> HorizontalPodAutoscaler {
        var hpa = foreign()
        hpa.metadata.name = "web-hpa"
        return hpa
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var workload: ObservedWorkload?
        /// What the cache holds.
        var hpas: [HorizontalPodAutoscaler] = []
        /// What the apiserver holds, when the cache is behind it.
        var server: [HorizontalPodAutoscaler]?
        var leader = true
        var outcome: ReconcileResult.Outcome
        var writes: [String]
        var events: [String]
        var testDescription: String { name }
    }

    static var maxTwenty: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplicas": "20"]) { $1 } }
    static var invalid: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplicas": "ten"]) { $1 } }
    static var withUnknownKey: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/maxReplica": "3"]) { $1 } }
    static var paused: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/paused": "true"]) { $1 } }
    static var scaleDownFrozen: [String: String] { annotations.merging(["hpa.autoscaling.banzaicloud.io/scale-down": "disabled"]) { $1 } }

    static let cases: [Case] = [
        Case(name: "annotated, no HPA: created", workload: workload(annotations), outcome: .created, writes: ["create shop/web"], events: ["Normal HPACreated"]),
        Case(name: "annotated, our HPA in sync: nothing", workload: workload(annotations), hpas: [ours()], outcome: .inSync, writes: [], events: []),
        Case(name: "annotated, our HPA differs: updated", workload: workload(maxTwenty), hpas: [ours()], outcome: .updated, writes: ["apply shop/web"], events: ["Normal HPAUpdated"]),
        Case(
            name: "created by POST, the interval removed: dropped by a merge patch (carrying spec.metrics), no apply", workload: workload(annotations),
            hpas: [ours(withInterval: "Update")], outcome: .updated,
            writes: ["patch shop/web metadata.annotations.metric-config.object.rps.prometheus/interval=null spec.metrics"], events: ["Normal HPAUpdated"]),
        Case(
            name: "created by POST, the interval removed and max changed: patched, then applied", workload: workload(maxTwenty),
            hpas: [ours(withInterval: "Update")], outcome: .updated,
            writes: ["patch shop/web metadata.annotations.metric-config.object.rps.prometheus/interval=null spec.metrics", "apply shop/web"], events: ["Normal HPAUpdated"]),
        Case(
            name: "created by apply, the interval removed: the apply drops it", workload: workload(annotations),
            hpas: [ours(withInterval: "Apply")], outcome: .updated, writes: ["apply shop/web"], events: ["Normal HPAUpdated"]),
        Case(name: "annotated, a foreign HPA of the name: conflict", workload: workload(annotations), hpas: [foreign()], outcome: .conflict, writes: [], events: ["Warning HPAConflict"]),
        Case(
            name: "annotated, the cache is behind a foreign HPA of the name: conflict, not taken over", workload: workload(annotations), server: [foreign()],
            outcome: .conflict, writes: [], events: ["Warning HPAConflict"]),
        Case(
            name: "annotated, the cache is behind our own new HPA: in sync", workload: workload(annotations), server: [ours()],
            outcome: .inSync, writes: [], events: []),
        Case(
            name: "annotated, another HPA scales the workload: conflict, ours not written", workload: workload(annotations), hpas: [another()],
            outcome: .conflict, writes: [], events: ["Warning HPAConflict"]),
        Case(name: "invalid, no HPA: warned, nothing written", workload: workload(invalid), outcome: .invalid, writes: [], events: ["Warning InvalidHPAAnnotations"]),
        Case(name: "invalid, our HPA: warned, left as it is", workload: workload(invalid), hpas: [ours()], outcome: .invalid, writes: [], events: ["Warning InvalidHPAAnnotations"]),
        Case(
            name: "an unknown key: warned and created", workload: workload(withUnknownKey), outcome: .created, writes: ["create shop/web"],
            events: ["Warning InvalidHPAAnnotations", "Normal HPACreated"]),
        Case(name: "unannotated, our HPA: deleted", workload: workload(nil), hpas: [ours()], outcome: .deleted, writes: ["delete shop/web hpa-uid"], events: ["Normal HPADeleted"]),
        Case(name: "unannotated, a foreign HPA: untouched", workload: workload(nil), hpas: [foreign()], outcome: .inSync, writes: [], events: []),
        Case(name: "unannotated, no HPA: nothing", workload: workload(nil), outcome: .inSync, writes: [], events: []),
        Case(name: "workload gone: garbage collection's job", workload: nil, hpas: [ours()], outcome: .gone, writes: [], events: []),
        Case(name: "workload being deleted: nothing", workload: workload(annotations, deleting: true), outcome: .gone, writes: [], events: []),
        Case(
            name: "paused, our HPA scaling: held, and the workload told", workload: workload(paused), hpas: [ours()], outcome: .updated,
            writes: ["apply shop/web"], events: ["Normal HPAUpdated", "Normal AutoscalingPaused"]),
        Case(
            name: "paused, no HPA: created held, and told", workload: workload(paused), outcome: .created,
            writes: ["create shop/web"], events: ["Normal HPACreated", "Normal AutoscalingPaused"]),
        Case(
            name: "unpaused, our applied HPA held: resumed by an apply, and told", workload: workload(annotations), hpas: [oursPaused("Apply")], outcome: .updated,
            writes: ["apply shop/web"], events: ["Normal HPAUpdated", "Normal AutoscalingResumed"]),
        Case(
            name: "unpaused, our HPA created held by POST: behavior dropped by a merge patch, and told", workload: workload(annotations),
            hpas: [oursPaused("Update")], outcome: .updated, writes: ["patch shop/web spec.behavior=null spec.metrics"], events: ["Normal HPAUpdated", "Normal AutoscalingResumed"]),
        Case(name: "paused, our HPA held: nothing", workload: workload(paused), hpas: [ours(paused)], outcome: .inSync, writes: [], events: []),
        Case(
            name: "one direction frozen: updated, not a pause", workload: workload(scaleDownFrozen), hpas: [ours()], outcome: .updated,
            writes: ["apply shop/web"], events: ["Normal HPAUpdated"]),
        Case(name: "follower, a create due: nothing", workload: workload(annotations), leader: false, outcome: .notLeader, writes: [], events: []),
        Case(name: "follower, a delete due: nothing", workload: workload(nil), hpas: [ours()], leader: false, outcome: .notLeader, writes: [], events: []),
        Case(name: "follower, in sync: in sync", workload: workload(annotations), hpas: [ours()], leader: false, outcome: .inSync, writes: [], events: []),
    ]

    @Test(arguments: cases)
    func rule(_ row: Case) async throws {
        let world = World(workload: row.workload, cached: row.hpas, server: row.server)
        let reconciler = world.reconciler(leader: row.leader)
        let result = try await reconciler.reconcile(Self.key)
        #expect(result.outcome == row.outcome)
        #expect(world.writes == row.writes)
        #expect(world.events == row.events)
        // Level-triggered: the same world again writes nothing new (once the cache has caught up).
        if row.outcome == .inSync && row.server == nil {
            _ = try await reconciler.reconcile(Self.key)
            #expect(world.writes == row.writes)
        }
    }

    /// A second write before the cache shows the first (the world's cache never catches up
    /// here) says the pause once.
    @Test func aPauseIsSaidOnceWhileTheCacheIsBehind() async throws {
        let world = World(workload: Self.workload(Self.paused), cached: [Self.ours()], server: nil)
        let reconciler = world.reconciler(leader: true)
        _ = try await reconciler.reconcile(Self.key)
        _ = try await reconciler.reconcile(Self.key)
        #expect(world.writes == ["apply shop/web", "apply shop/web"])
        #expect(world.events.filter { $0 == "Normal AutoscalingPaused" }.count == 1)
    }

    @Test func aFailedWriteIsThrownForTheControllerToRetry() async throws {
        let world = World(workload: Self.workload(Self.annotations), cached: [], failing: KubeError.serverError(Status(message: "etcd timeout", reason: "InternalError", code: 500)))
        await #expect(throws: KubeError.self) { try await world.reconciler(leader: true).reconcile(Self.key) }
        #expect(world.events.isEmpty, "no HPACreated for an HPA that was not created")
    }

    /// A 422 is the user's to see, with the apiserver's words, and not retried on the fast path.
    @Test func aRejectedWriteIsAnEventAndATerminalError() async throws {
        let refusal = Status(
            message: "HorizontalPodAutoscaler.autoscaling \"web\" is invalid: spec.metrics[0].object.target.value: Invalid value: \"0\": must be positive", reason: "Invalid", code: 422)
        let world = World(workload: Self.workload(Self.annotations), cached: [], failing: KubeError.invalid(refusal))
        await #expect(throws: TerminalError.self) { try await world.reconciler(leader: true).reconcile(Self.key) }
        #expect(world.events == ["Warning HPARejected"])
        #expect(world.messages.first?.contains("must be positive") == true)
    }
}

/// An in-memory cache and apiserver, a writer and an event sink that record what the reconciler did.
final class World: AutoscalingCache, HPAWriter, EventSink, Sendable {
    let observed: ObservedWorkload?
    let cached: [HorizontalPodAutoscaler]
    let server: [HorizontalPodAutoscaler]
    let failing: (any Error & Sendable)?
    private let log = Mutex<(writes: [String], events: [String], messages: [String])>(([], [], []))

    init(workload: ObservedWorkload?, cached: [HorizontalPodAutoscaler], server: [HorizontalPodAutoscaler]? = nil, failing: (any Error & Sendable)? = nil) {
        observed = workload
        self.cached = cached
        self.server = server ?? cached
        self.failing = failing
    }

    var writes: [String] { log.withLock { $0.writes } }
    var events: [String] { log.withLock { $0.events } }
    var messages: [String] { log.withLock { $0.messages } }

    func reconciler(leader: Bool) -> HPAReconciler {
        let quiet = Logger.quiet("rules")
        let leadership = Leadership { leader }
        return HPAReconciler(
            cache: self, writer: FencedHPAWriter(self, leadership: leadership), events: FencedEventSink(self, leadership: leadership),
            style: .object, logger: quiet)
    }

    func workload(_ key: WorkloadKey) -> ObservedWorkload? { observed }
    func hpa(namespace: String, name: String) -> HorizontalPodAutoscaler? { cached.first { $0.metadata.name == name } }
    func hpas(targeting key: WorkloadKey) -> [HorizontalPodAutoscaler] { cached.filter(key.isTarget(of:)) }

    func create(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HPACreation {
        if let failing { throw failing }
        if let existing = server.first(where: { $0.metadata.name == hpa.metadata.name }) { return .exists(existing) }
        log.withLock { $0.writes.append("create \(hpa.metadata.qualifiedName)") }
        return .created(answer ? Self.stored(hpa) : nil)
    }

    func apply(_ hpa: HorizontalPodAutoscaler, answer: Bool) async throws -> HorizontalPodAutoscaler? {
        if let failing { throw failing }
        log.withLock { $0.writes.append("apply \(hpa.metadata.qualifiedName)") }
        return answer ? Self.stored(hpa) : nil
    }

    /// As a server without the HPAConfigurableTolerance gate stores it: tolerances dropped.
    static func stored(_ hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscaler {
        var stored = hpa
        stored.spec.behavior?.scaleUp?.tolerance = nil
        stored.spec.behavior?.scaleDown?.tolerance = nil
        return stored
    }

    func patch(namespace: String, name: String, _ patch: JSONValue) async throws -> HorizontalPodAutoscaler {
        if let failing { throw failing }
        // What it sets, as paths: `metadata.annotations.k=null`, `spec.metrics`.
        func paths(_ value: JSONValue, _ prefix: String) -> [String] {
            guard case .object(let members) = value, prefix != "spec.metrics", prefix != "spec.behavior" else { return [value == .null ? "\(prefix)=null" : prefix] }
            return members.flatMap { paths($1, prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        }
        log.withLock { $0.writes.append("patch \(namespace)/\(name) " + paths(patch, "").sorted().joined(separator: " ")) }
        let live = try #require(server.first { $0.metadata.name == name })
        let patched = try JSONValue(parsing: JSONEncoder().encode(live)).mergePatched(with: patch)
        return try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: JSONEncoder().encode(patched))
    }

    func delete(namespace: String, name: String, uid: String) async throws {
        if let failing { throw failing }
        log.withLock { $0.writes.append("delete \(namespace)/\(name) \(uid)") }
    }

    func record(_ kind: EventKind, reason: String, message: String, on object: ObjectReference, repeatable: Bool) async {
        log.withLock {
            $0.events.append("\(kind.rawValue) \(reason)")
            $0.messages.append(message)
        }
    }

    func forget(kind: String, namespace: String?, name: String) {}
}
