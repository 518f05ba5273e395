import Autoscaling
import Foundation
import KubeModel

/// What the operator's caches keep of each object: only what reconciling reads, so 10,000
/// workloads and HPAs fit in a small pod. Applied by the informers before caching.
enum CacheSlimming {
    /// A workload's identity, deletion mark, and our annotations (on it and on its pod template).
    static func workload<Kind>(_ workload: AppsWorkload<Kind>) -> AppsWorkload<Kind> {
        let metadata = workload.metadata
        var slim = ObjectMeta(name: metadata.name, namespace: metadata.namespace, uid: metadata.uid,
                              annotations: ours(metadata.annotations))
        slim.resourceVersion = metadata.resourceVersion
        slim.deletionTimestamp = metadata.deletionTimestamp
        let template = ours(workload.spec?.template?.metadata?.annotations)
        return AppsWorkload(metadata: slim, spec: template.map { WorkloadSpec(template: PodTemplate(metadata: ObjectMeta(annotations: $0))) })
    }

    /// An HPA without its status, and with only our field manager's entry of managedFields (the
    /// comparison reads which fields we own; other managers' entries are never read). That
    /// entry's `fieldsV1` tree is kept as its JSON text: one string instead of a tree of small
    /// dictionaries, which cost kilobytes per HPA. The comparison reads either form.
    static func hpa(_ hpa: HorizontalPodAutoscaler) -> HorizontalPodAutoscaler {
        var slim = hpa
        slim.status = nil
        if case .array(let entries)? = hpa.metadata.managedFields {
            let kept = entries.filter { $0["manager"]?.stringValue == Reconciler.fieldManager }.map(compactFields)
            slim.metadata.managedFields = kept.isEmpty ? nil : .array(kept)
        }
        return slim
    }

    private static func compactFields(_ entry: JSONValue) -> JSONValue {
        guard case .object(var members) = entry, let fields = members["fieldsV1"], fields.stringValue == nil,
              let data = try? encoder.encode(fields) else { return entry }
        members["fieldsV1"] = .string(String(decoding: data, as: UTF8.self))
        return .object(members)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    private static func ours(_ annotations: [String: String]?) -> [String: String]? {
        guard let annotations else { return nil }
        let kept = annotations.filter { AnnotationKeys.isOurs($0.key) }
        return kept.isEmpty ? nil : kept
    }
}
