import Autoscaling
import KubeClient
import KubeModel
import Logging

/// Brings one workload's HPA to what its annotations ask for (SPEC §2). The rules, in order:
///
/// 1. The workload is gone or being deleted: nothing to do; its HPA goes with it by garbage
///    collection (the ownerReference).
/// 2. An HPA of its name that it does not control (by uid) is never written or deleted: a Warning
///    `HPAConflict` says so.
/// 3. No annotations of ours: the HPA it controls is deleted (`HPADeleted`).
/// 4. Invalid annotations: a Warning `InvalidHPAAnnotations` names every problem; any existing
///    HPA stays as it is.
/// 5. Valid annotations: the HPA is applied when the live one differs semantically from the
///    desired one (`HPACreated`, `HPAUpdated`), and not at all when it does not.
///
/// Only the leader writes HPAs and events; a follower stops at the first write it would make.
public struct HPAReconciler: Reconciler {
    public static let fieldManager = "hpa-operator"

    let cache: any AutoscalingCache
    let writer: any HPAWriter
    let events: any EventSink
    let style: MetricStyle
    let logger: Logger
    let isLeader: @Sendable () -> Bool

    public init(cache: any AutoscalingCache, writer: any HPAWriter, events: any EventSink, style: MetricStyle, logger: Logger,
                isLeader: @escaping @Sendable () -> Bool) {
        self.cache = cache
        self.writer = writer
        self.events = events
        self.style = style
        self.logger = logger
        self.isLeader = isLeader
    }

    public func reconcile(_ key: WorkloadKey) async throws -> ReconcileResult {
        guard let workload = cache.workload(key), workload.metadata.deletionTimestamp == nil else {
            events.forget(kind: key.kind, namespace: key.namespace, name: key.name)
            return ReconcileResult(.gone)
        }
        let uid = workload.metadata.uid
        let reference = ObjectReference(apiVersion: WorkloadReference.apiVersion, kind: key.kind, namespace: key.namespace, name: key.name, uid: uid)
        let live = cache.hpa(namespace: key.namespace, name: key.name)
        let ours = live.map { hpa in uid != nil && hpa.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == uid } == true } ?? true
        let log = logger.with(["workload": "\(key)", "hpa": "\(ObjectKey(namespace: key.namespace, name: key.name))"])

        switch workload.desired(style: style) {
        case .none:
            guard let live, ours, let hpaUID = live.metadata.uid else { return ReconcileResult(.inSync) }
            guard isLeader() else { return ReconcileResult(.notLeader) }
            try await writer.delete(namespace: key.namespace, name: key.name, uid: hpaUID)
            log.info("deleted HPA: the workload has no hpa.autoscaling.banzaicloud.io annotations")
            await events.record(.normal, reason: "HPADeleted", message: "Deleted HorizontalPodAutoscaler \(key.name): the workload has no \(AnnotationKeys.domain) annotations any more", on: reference)
            return ReconcileResult(.deleted)

        case .invalid(let problems):
            guard isLeader() else { return ReconcileResult(.notLeader) }
            let message = problems.map(\.description).joined(separator: "; ")
            log.warning("invalid autoscaling annotations; the HPA is left unchanged", metadata: ["problems": "\(message)"])
            await events.record(.warning, reason: "InvalidHPAAnnotations", message: message, on: reference)
            return ReconcileResult(.invalid)

        case .hpa(let hpa, let warnings):
            guard ours else {
                guard isLeader() else { return ReconcileResult(.notLeader) }
                log.warning("an HPA of this name exists and is not controlled by this workload; leaving it alone")
                await events.record(.warning, reason: "HPAConflict", message: "HorizontalPodAutoscaler \(key.name) exists and is not controlled by this \(key.kind); it is left unchanged. Delete it or remove the \(AnnotationKeys.domain) annotations.", on: reference)
                return ReconcileResult(.conflict)
            }
            let changes = live.map { HPAComparison.differences(desired: hpa, live: $0, fieldManager: Self.fieldManager) }
            if changes?.isEmpty == true && warnings.isEmpty { return ReconcileResult(.inSync) }
            guard isLeader() else { return ReconcileResult(.notLeader) }
            if !warnings.isEmpty {
                await events.record(.warning, reason: "InvalidHPAAnnotations", message: warnings.map(\.description).joined(separator: "; "), on: reference)
            }
            guard changes?.isEmpty != true else { return ReconcileResult(.inSync) }
            try await writer.apply(hpa)
            if let changes {
                log.info("updated HPA", metadata: ["changed": "\(changes.joined(separator: ", "))"])
                await events.record(.normal, reason: "HPAUpdated", message: "Updated HorizontalPodAutoscaler \(key.name): \(changes.joined(separator: ", "))", on: reference)
                return ReconcileResult(.updated)
            }
            log.info("created HPA")
            await events.record(.normal, reason: "HPACreated", message: "Created HorizontalPodAutoscaler \(key.name) (min \(hpa.spec.minReplicas ?? 1), max \(hpa.spec.maxReplicas))", on: reference)
            return ReconcileResult(.created)
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
