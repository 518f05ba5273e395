import Autoscaling
import Foundation
import KubeModel

/// What the operator's caches keep of each object: only what reconciling reads, so 10,000
/// workloads and HPAs fit in a small pod. Applied by the informers before caching. Neither keeps
/// apiVersion and kind: the informer's type says them, and list items arrive without them anyway.
enum CacheSlimming {
    /// A workload's identity, deletion mark, replicas (scale to zero and fallbacks read them), and
    /// our annotations (on it and on its pod template).
    static func workload<Kind>(_ workload: AppsWorkload<Kind>) -> AppsWorkload<Kind> {
        let metadata = workload.metadata
        var slim = ObjectMeta(name: metadata.name, namespace: metadata.namespace, uid: metadata.uid,
                              annotations: ours(metadata.annotations))
        slim.resourceVersion = metadata.resourceVersion
        slim.deletionTimestamp = metadata.deletionTimestamp
        let template = ours(workload.spec?.template?.metadata?.annotations)
        let replicas = workload.spec?.replicas
        var kept = AppsWorkload<Kind>(metadata: slim, spec: template == nil && replicas == nil ? nil
            : WorkloadSpec(replicas: replicas, template: template.map { PodTemplate(metadata: ObjectMeta(annotations: $0)) }))
        (kept.apiVersion, kept.kind) = (nil, nil)
        return kept
    }

    /// An HPA without its status, and with managedFields cut down to the ownership the comparison
    /// reads (other managers' entries and the rest of our field tree are never read).
    static func hpa(_ hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscaler {
        var slim = hpa
        (slim.apiVersion, slim.kind) = (nil, nil)
        slim.status = nil
        slim.metadata.managedFields = FieldOwnership.essentials(of: hpa.metadata.managedFields, fieldManager: HPAReconciler.fieldManager)
        slim.metadata.creationTimestamp = nil
        slim.metadata.generation = nil
        return slim
    }

    private static func ours(_ annotations: [String: String]?) -> [String: String]? {
        guard let annotations else { return nil }
        let kept = annotations.filter { AnnotationKeys.isOurs($0.key) }
        return kept.isEmpty ? nil : kept
    }
}
