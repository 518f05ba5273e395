import Autoscaling
import KubeClient
import KubeModel
import Logging
import Synchronization

/// Brings one workload's HPA to what its annotations ask for (README, "`hpa-operator run`"). The rules, in order:
///
/// 1. The workload is gone or being deleted: nothing to do; its HPA goes with it by garbage
///    collection (the ownerReference).
/// 2. No annotations of ours: the HPA it controls is deleted (`HPADeleted`).
/// 3. Invalid annotations: a Warning `InvalidHPAAnnotations` names every problem; any existing
///    HPA stays as it is.
/// 4. Another HPA already scaling the workload, or an HPA of its name that it does not control
///    (by uid), is never written or deleted, and ours is not written: a Warning `HPAConflict`
///    names it.
/// 5. Valid annotations: the HPA is applied when the live one differs semantically from the
///    desired one (`HPACreated`, `HPAUpdated`), and not at all when it does not. When the cache
///    shows no HPA, it is created by POST, so an HPA the cache has not seen yet is never taken
///    over (the apiserver answers AlreadyExists): rule 4 applies to it. A write the apiserver
///    refuses as invalid is a Warning `HPARejected`. A `behavior` tolerance the apiserver did
///    not keep is left out from then on, with a Warning `ToleranceNotKept` (`ToleranceSupport`).
///
/// Only the leader writes: `writer` and `events` come through the process's leadership fence
/// (`FencedHPAWriter`, `FencedEventSink`); a reconcile that meets the fence at a write stops there
/// (`notLeader`).
public struct HPAReconciler: Reconciler {
    public static let fieldManager = "hpa-operator"

    let cache: any AutoscalingCache
    let writer: any HPAWriter
    let events: any EventSink
    let style: MetricStyle
    let logger: Logger
    let tolerance = ToleranceSupport()
    /// Per workload, whether its HPA was last said to be held: a second write before the cache
    /// shows the first says nothing again.
    let holdsSaid = HoldsSaid()

    public init(cache: any AutoscalingCache, writer: any HPAWriter, events: any EventSink, style: MetricStyle, logger: Logger) {
        self.cache = cache
        self.writer = writer
        self.events = events
        self.style = style
        self.logger = logger
    }

    public func reconcile(_ key: WorkloadKey) async throws -> ReconcileResult {
        do {
            return try await bringToDesired(key)
        } catch is NotLeading {
            return ReconcileResult(.notLeader)
        }
    }

    private func bringToDesired(_ key: WorkloadKey) async throws -> ReconcileResult {
        guard let workload = cache.workload(key), workload.metadata.deletionTimestamp == nil else {
            events.forget(kind: key.kind, namespace: key.namespace, name: key.name)
            holdsSaid.forget(key)
            return ReconcileResult(.gone)
        }
        let uid = workload.metadata.uid
        let reference = ObjectReference(apiVersion: WorkloadReference.apiVersion, kind: key.kind, namespace: key.namespace, name: key.name, uid: uid)
        let live = cache.hpa(namespace: key.namespace, name: key.name)
        let ours = live.map { Self.isControlled($0, by: uid) } ?? false
        let log = logger.with(["workload": "\(key)", "hpa": "\(ObjectKey(namespace: key.namespace, name: key.name))"])

        switch workload.desired(style: style) {
        case .none:
            guard let live, ours, let hpaUID = live.metadata.uid else { return ReconcileResult(.inSync) }
            try await writer.delete(namespace: key.namespace, name: key.name, uid: hpaUID)
            log.info("deleted HPA: the workload has no hpa.autoscaling.banzaicloud.io annotations")
            await events.record(.normal, reason: "HPADeleted", message: "Deleted HorizontalPodAutoscaler \(key.name): the workload has no \(AnnotationKeys.domain) annotations any more", on: reference)
            return ReconcileResult(.deleted)

        case .invalid(let problems):
            let message = problems.map(\.description).joined(separator: "; ")
            log.warning("invalid autoscaling annotations; the HPA is left unchanged", metadata: ["problems": "\(message)"])
            await events.record(.warning, reason: "InvalidHPAAnnotations", message: message, on: reference)
            return ReconcileResult(.invalid)

        case .hpa(let wanted, let warnings):
            if let message = Self.conflict(key, uid: uid, cache: cache) { return await conflict(message, reference, log) }
            let (hpa, toleranceLeft) = tolerance.writable(wanted)
            if !warnings.isEmpty || toleranceLeft {
                if !warnings.isEmpty {
                    await events.record(.warning, reason: "InvalidHPAAnnotations", message: warnings.map(\.description).joined(separator: "; "), on: reference)
                }
                if toleranceLeft { await warnToleranceNotKept(reference) }
            }
            let result = try await converge(key, hpa, live: live, uid: uid, reference: reference, log: log)
            if [.created, .updated].contains(result.outcome) { await reportHold(key, written: hpa, before: live, workload: workload, reference) }
            return result
        }
    }

    /// Why this workload's HPA would not be written (another HPA in the way), or nil: the
    /// reconcile's rule, also what the admission webhook warns about.
    static func conflict(_ key: WorkloadKey, uid: String?, cache: any AutoscalingCache) -> String? {
        let others = cache.hpas(targeting: key).compactMap(\.metadata.name).filter { $0 != key.name }.sorted()
        if !others.isEmpty {
            // Two HPAs on one target: the HPA controller would stop both (AmbiguousSelector).
            let names = others.map { "HorizontalPodAutoscaler \($0)" }.joined(separator: ", ")
            return
                "\(names) already scales this \(key.kind); two HPAs on one target stop each other, so HorizontalPodAutoscaler \(key.name) is not written. Delete \(others.count == 1 ? "it" : "them") or remove the \(AnnotationKeys.domain) annotations."
        }
        if let live = cache.hpa(namespace: key.namespace, name: key.name), !isControlled(live, by: uid) { return notOursMessage(key) }
        return nil
    }

    static func isControlled(_ hpa: HorizontalPodAutoscaler, by uid: String?) -> Bool {
        uid != nil && hpa.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == uid } == true
    }

    static func notOursMessage(_ key: WorkloadKey) -> String {
        "HorizontalPodAutoscaler \(key.name) exists and is not controlled by this \(key.kind); it is left unchanged. Delete it or remove the \(AnnotationKeys.domain) annotations."
    }

    /// An HPA in the way: left alone, and the workload says so.
    private func conflict(_ message: String, _ reference: ObjectReference, _ log: Logger) async -> ReconcileResult {
        log.warning("another HPA is in the way; leaving it alone and writing none", metadata: ["reason": "\(message)"])
        await events.record(.warning, reason: "HPAConflict", message: message, on: reference)
        return ReconcileResult(.conflict)
    }

    /// Writes `hpa` unless the live one is in the way or already what it should be. When the cache
    /// shows none, it is created by POST, which never touches an HPA the cache has not seen yet:
    /// the apiserver answers AlreadyExists, and the rules go on with that one. A change is a
    /// forced apply, after a merge patch for the fields only a patch can drop
    /// (`HPAComparison.dropPatch`).
    private func converge(
        _ key: WorkloadKey, _ hpa: HorizontalPodAutoscaler, live cached: HorizontalPodAutoscaler?, uid: String?,
        reference: ObjectReference, log: Logger
    ) async throws -> ReconcileResult {
        var live = cached
        let answer = tolerance.wantsAnswer(hpa)
        if live == nil {
            switch try await rejectable(reference, log, hpa, { try await writer.create(hpa, answer: answer) }) {
            case .exists(let existing):
                live = existing
            case .created(let stored):
                log.info("created HPA")
                await events.record(
                    .normal, reason: "HPACreated", message: "Created HorizontalPodAutoscaler \(key.name) (min \(hpa.spec.minReplicas ?? 1), max \(hpa.spec.maxReplicas))", on: reference)
                await learn(written: hpa, stored: stored, reference)
                return ReconcileResult(.created)
            }
        }
        guard let live, Self.isControlled(live, by: uid) else {
            return await conflict(Self.notOursMessage(key), reference, log)
        }
        let changes = HPAComparison.differences(desired: hpa, live: live, fieldManager: Self.fieldManager)
        guard !changes.isEmpty else { return ReconcileResult(.inSync) }
        var remaining = changes
        var stored: HorizontalPodAutoscaler?
        if let patch = try HPAComparison.dropPatch(desired: hpa, live: live, fieldManager: Self.fieldManager) {
            let patched = try await rejectable(reference, log, hpa) { try await writer.patch(namespace: key.namespace, name: key.name, patch) }
            remaining = HPAComparison.differences(desired: hpa, live: patched, fieldManager: Self.fieldManager)
            stored = patched
        }
        if !remaining.isEmpty {
            stored = try await rejectable(reference, log, hpa) { try await writer.apply(hpa, answer: answer) }
        }
        log.info("updated HPA", metadata: ["changed": "\(changes.joined(separator: ", "))"])
        await events.record(.normal, reason: "HPAUpdated", message: "Updated HorizontalPodAutoscaler \(key.name): \(changes.joined(separator: ", "))", on: reference)
        await learn(written: hpa, stored: stored, reference)
        return ReconcileResult(.updated)
    }

    /// A write that paused autoscaling, or resumed it, says so on the workload.
    private func reportHold(
        _ key: WorkloadKey, written: HorizontalPodAutoscaler, before: HorizontalPodAutoscaler?, workload: ObservedWorkload,
        _ reference: ObjectReference
    ) async {
        let now = Hold.holdsBoth(written)
        guard holdsSaid.change(key, to: now, otherwise: before.map(Hold.holdsBoth) ?? false) else { return }
        if now, case .valid(let spec, _) = workload.reading {
            let what = spec.hold.description ?? "scale-up and scale-down disabled"
            await events.record(
                .normal, reason: Self.pausedReason,
                message: "Autoscaling of \(key.kind) \(key.name) is held: \(what); HorizontalPodAutoscaler \(key.name) stays, scaling in neither direction", on: reference, repeatable: true)
        } else if !now {
            await events.record(
                .normal, reason: Self.resumedReason, message: "Autoscaling of \(key.kind) \(key.name) resumed: HorizontalPodAutoscaler \(key.name) scales as its metrics say", on: reference,
                repeatable: true)
        }
    }

    public static let pausedReason = "AutoscalingPaused"
    public static let resumedReason = "AutoscalingResumed"

    /// A write whose answer shows its tolerance dropped: remembered (the next writes there leave
    /// it out), and the workload told.
    private func learn(written: HorizontalPodAutoscaler, stored: HorizontalPodAutoscaler?, _ reference: ObjectReference) async {
        guard let stored, tolerance.learn(written: written, stored: stored) else { return }
        logger.warning(
            "the apiserver dropped the HPA's behavior tolerance; HPAs in this namespace are written without it for now",
            metadata: ["namespace": "\(written.metadata.namespace ?? "")"])
        await warnToleranceNotKept(reference)
    }

    private func warnToleranceNotKept(_ reference: ObjectReference) async {
        await events.record(.warning, reason: ToleranceSupport.warningReason, message: ToleranceSupport.warning, on: reference)
    }

    /// A write the apiserver refuses as invalid is told to the user (`HPARejected`, with the
    /// apiserver's words) and is not retried on the fast path: the same state would fail the same way.
    private func rejectable<T>(_ reference: ObjectReference, _ log: Logger, _ hpa: HorizontalPodAutoscaler, _ write: () async throws -> T) async throws -> T {
        do {
            return try await write()
        } catch KubeError.invalid(let status) {
            var message = status.message ?? "the apiserver refused the HorizontalPodAutoscaler as invalid"
            log.warning("the apiserver refused the HPA", metadata: ["error": "\(message)"])
            if hpa.spec.minReplicas == 0 && message.contains("spec.minReplicas") {
                message +=
                    ". With \(AnnotationKeys.scaleToZero) native the HPA has minReplicas 0, which needs Kubernetes' HPAScaleToZero feature gate on the apiserver; without it, remove that annotation and add an activationThreshold, and hpa-operator scales to zero instead"
            }
            await events.record(.warning, reason: "HPARejected", message: "The apiserver refused HorizontalPodAutoscaler \(reference.name ?? ""): \(message)", on: reference)
            throw TerminalError(KubeError.invalid(status))
        }
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var copy = self
        for (key, value) in metadata { copy[metadataKey: key] = value }
        return copy
    }
}

/// Whether each workload's HPA was last said to be held (`AutoscalingPaused`) or not.
final class HoldsSaid: Sendable {
    private let said = Mutex<[WorkloadKey: Bool]>([:])

    /// Records `held`; true when it differs from what was said last (or, before anything was
    /// said, from `otherwise`: the HPA as cached).
    func change(_ key: WorkloadKey, to held: Bool, otherwise: Bool) -> Bool {
        said.withLock { said in
            defer { said[key] = held }
            return (said[key] ?? otherwise) != held
        }
    }

    func forget(_ key: WorkloadKey) {
        _ = said.withLock { $0.removeValue(forKey: key) }
    }
}
