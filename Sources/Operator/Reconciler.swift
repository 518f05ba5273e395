import Autoscaling
import KubeClient
import KubeModel
import Logging

/// Brings one workload's HPA to what its annotations ask for, reading only the caches and writing
/// only when the live HPA differs (SPEC §2).
public struct Reconciler: Sendable {
    public static let fieldManager = "hpa-operator"

    public enum Outcome: Equatable, Sendable {
        case inSync, created, updated, deleted, invalid, conflict, notLeader, gone
    }

    let client: KubeClient
    let deployments: Informer<Deployment>
    let statefulSets: Informer<StatefulSet>
    let hpas: Informer<HorizontalPodAutoscaler>
    let events: EventRecorder
    let style: MetricStyle
    let metrics: OperatorMetrics
    let logger: Logger
    let isLeader: @Sendable () -> Bool

    public func reconcile(_ key: WorkloadKey) async throws -> Outcome {
        let desired: DesiredHPA
        let reference: ObjectReference
        let uid: String?
        switch key.kind {
        case Deployment.kind:
            guard let workload = deployments.get(namespace: key.namespace, name: key.name), workload.metadata.deletionTimestamp == nil else { return gone(key) }
            desired = DesiredHPA(for: workload, style: style)
            (reference, uid) = (Self.reference(key, workload.metadata), workload.metadata.uid)
        default:
            guard let workload = statefulSets.get(namespace: key.namespace, name: key.name), workload.metadata.deletionTimestamp == nil else { return gone(key) }
            desired = DesiredHPA(for: workload, style: style)
            (reference, uid) = (Self.reference(key, workload.metadata), workload.metadata.uid)
        }
        let live = hpas.get(namespace: key.namespace, name: key.name)
        let ours = live.map { hpa in hpa.metadata.ownerReferences?.contains { $0.controller == true && $0.uid == uid && uid != nil } ?? false } ?? true
        let log = logger.with(["workload": "\(key)", "hpa": "\(key.namespace)/\(key.name)"])

        switch desired {
        case .none:
            guard let live, ours, let hpaUID = live.metadata.uid else { return .inSync }
            guard isLeader() else { return .notLeader }
            do {
                try await client.delete(HorizontalPodAutoscaler.self, namespace: key.namespace, name: key.name, uid: hpaUID)
            } catch KubeError.notFound {
                return .inSync
            }
            metrics.deletes.increment()
            log.info("deleted HPA: the workload has no hpa.autoscaling.banzaicloud.io annotations")
            await events.record(.normal, reason: "HPADeleted", message: "Deleted HorizontalPodAutoscaler \(key.name): the workload has no \(AnnotationKeys.domain) annotations any more", on: reference)
            return .deleted

        case .invalid(let problems):
            guard isLeader() else { return .notLeader }
            let message = problems.map(\.description).joined(separator: "; ")
            log.warning("invalid autoscaling annotations; the HPA is left unchanged", metadata: ["problems": "\(message)"])
            await events.record(.warning, reason: "InvalidHPAAnnotations", message: message, on: reference)
            return .invalid

        case .hpa(let hpa, let warnings):
            guard ours else {
                guard isLeader() else { return .notLeader }
                log.warning("an HPA of this name exists and is not controlled by this workload; leaving it alone")
                await events.record(.warning, reason: "HPAConflict", message: "HorizontalPodAutoscaler \(key.name) exists and is not controlled by this \(key.kind); it is left unchanged. Delete it or remove the \(AnnotationKeys.domain) annotations.", on: reference)
                return .conflict
            }
            let changes = live.map { HPAComparison.differences(desired: hpa, live: $0, fieldManager: Self.fieldManager) }
            if changes?.isEmpty == true && warnings.isEmpty { return .inSync }
            guard isLeader() else { return .notLeader }
            if !warnings.isEmpty {
                await events.record(.warning, reason: "InvalidHPAAnnotations", message: warnings.map(\.description).joined(separator: "; "), on: reference)
            }
            guard changes?.isEmpty != true else { return .inSync }
            _ = try await client.apply(hpa, fieldManager: Self.fieldManager, force: true)
            metrics.applies.increment()
            if let changes {
                log.info("updated HPA", metadata: ["changed": "\(changes.joined(separator: ", "))"])
                await events.record(.normal, reason: "HPAUpdated", message: "Updated HorizontalPodAutoscaler \(key.name): \(changes.joined(separator: ", "))", on: reference)
                return .updated
            }
            log.info("created HPA")
            await events.record(.normal, reason: "HPACreated", message: "Created HorizontalPodAutoscaler \(key.name) (min \(hpa.spec.minReplicas ?? 1), max \(hpa.spec.maxReplicas))", on: reference)
            return .created
        }
    }

    /// The workload is gone: its HPA goes with it through the ownerReference (garbage collection).
    private func gone(_ key: WorkloadKey) -> Outcome {
        events.forget(kind: key.kind, namespace: key.namespace, name: key.name)
        return .gone
    }

    static func reference(_ key: WorkloadKey, _ metadata: ObjectMeta) -> ObjectReference {
        ObjectReference(apiVersion: "apps/v1", kind: key.kind, namespace: key.namespace, name: key.name, uid: metadata.uid)
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var copy = self
        for (key, value) in metadata { copy[metadataKey: key] = value }
        return copy
    }
}
