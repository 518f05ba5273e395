import Autoscaling
import Foundation
import KubeModel

/// What the operator's caches keep of each object: only what reconciling reads, so 10,000
/// workloads and HPAs fit in a small pod. Applied by the informers before caching. Neither keeps
/// apiVersion and kind: the informer's type says them, and list items arrive without them anyway.
enum CacheSlimming {
    /// A workload's identity, deletion mark, replicas (scale to zero and fallbacks read them), and
    /// our annotations (on it and on its pod template); its containers' names only when an
    /// annotation names a container.
    static func workload<Kind>(_ workload: AppsWorkload<Kind>) -> AppsWorkload<Kind> {
        let metadata = workload.metadata
        let annotations = ours(metadata.annotations)
        var slim = ObjectMeta(name: metadata.name, namespace: metadata.namespace, uid: metadata.uid, annotations: annotations)
        slim.resourceVersion = metadata.resourceVersion
        slim.deletionTimestamp = metadata.deletionTimestamp
        let templateAnnotations = ours(workload.spec?.template?.metadata?.annotations)
        let namesContainer = [annotations, templateAnnotations].contains { $0?.keys.contains(where: AnnotationKeys.namesContainer) ?? false }
        let containers = namesContainer ? workload.spec?.template?.spec : nil
        var template: PodTemplate?
        if templateAnnotations != nil || containers != nil {
            template = PodTemplate(metadata: templateAnnotations.map { ObjectMeta(annotations: $0) }, spec: containers)
        }
        let replicas = workload.spec?.replicas
        var kept = AppsWorkload<Kind>(
            metadata: slim,
            spec: template == nil && replicas == nil
                ? nil
                : WorkloadSpec(replicas: replicas, template: template))
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
