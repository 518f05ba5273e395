import Foundation
import KubeModel

/// Whether a live HPA already is what the operator would apply (SPEC §2: no request at all when it
/// is). Compares semantically, as the apiserver stores things: quantities by value, defaults applied
/// to the desired side, a target's unused fields ignored. Fields the desired HPA leaves out are only
/// a difference when our field manager owns them on the live object (an apply would remove them).
public enum HPAComparison {
    /// The paths that differ, e.g. `spec.maxReplicas`; empty when no write is needed.
    public static func differences(desired: HorizontalPodAutoscaler, live: HorizontalPodAutoscaler, fieldManager: String) -> [String] {
        var paths: [String] = []
        let owned = OwnedFields(live.metadata.managedFields, manager: fieldManager)
        let want = desired.spec.defaulted
        let have = live.spec.defaulted

        if want.scaleTargetRef != have.scaleTargetRef { paths.append("spec.scaleTargetRef") }
        if want.minReplicas != have.minReplicas { paths.append("spec.minReplicas") }
        if want.maxReplicas != have.maxReplicas { paths.append("spec.maxReplicas") }
        if normalized(want.metrics) != normalized(have.metrics) && !(want.metrics == nil && !owned.contains(["spec", "metrics"])) {
            paths.append("spec.metrics")
        }
        if want.behavior != have.behavior && !(want.behavior == nil && !owned.contains(["spec", "behavior"])) {
            paths.append("spec.behavior")
        }
        for (key, value) in desired.metadata.labels ?? [:] where live.metadata.labels?[key] != value {
            paths.append("metadata.labels.\(key)")
        }
        let wantedAnnotations = desired.metadata.annotations ?? [:]
        for (key, value) in wantedAnnotations where live.metadata.annotations?[key] != value {
            paths.append("metadata.annotations.\(key)")
        }
        for key in (live.metadata.annotations ?? [:]).keys where wantedAnnotations[key] == nil && owned.contains(["metadata", "annotations", key]) {
            paths.append("metadata.annotations.\(key)")
        }
        for reference in desired.metadata.ownerReferences ?? [] where !(live.metadata.ownerReferences ?? []).contains(reference) {
            paths.append("metadata.ownerReferences")
        }
        return paths.sorted()
    }

    private static func normalized(_ metrics: [MetricSpec]?) -> [MetricSpec] {
        (metrics ?? []).map { original in
            var metric = original
            if let target = original.object?.target { metric.object?.target = target.meaningful }
            if let target = original.pods?.target { metric.pods?.target = target.meaningful }
            if let target = original.resource?.target { metric.resource?.target = target.meaningful }
            if let target = original.containerResource?.target { metric.containerResource?.target = target.meaningful }
            if let target = original.external?.target { metric.external?.target = target.meaningful }
            return metric
        }
    }
}

/// The fields a manager owns through server-side apply, read from `metadata.managedFields`.
struct OwnedFields {
    private var tree: JSONValue = .object([:])

    init(_ managedFields: JSONValue?, manager: String) {
        guard case .array(let entries)? = managedFields else { return }
        for entry in entries where entry["manager"]?.stringValue == manager && entry["operation"]?.stringValue == "Apply" {
            guard let fields = entry["fieldsV1"] else { continue }
            // A cache may keep the tree as its JSON text (a tree of small dictionaries costs
            // kilobytes per object): read it back here, where it is needed.
            if let text = fields.stringValue, let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) {
                tree = parsed
            } else {
                tree = fields
            }
        }
    }

    /// `["spec", "behavior"]` is owned when `f:spec` → `f:behavior` is in the tree.
    func contains(_ path: [String]) -> Bool {
        var node: JSONValue? = tree
        for part in path { node = node?["f:\(part)"] }
        return node != nil
    }
}
