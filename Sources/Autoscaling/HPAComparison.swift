import Foundation
import KubeModel

/// Whether a live HPA already is what the operator would apply (no request at all when it
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

    /// The merge patch a change needs before its apply, or nil: the annotations and behavior the
    /// desired HPA leaves out that an Update entry of ours owns (the HPA was created by POST, or an
    /// earlier patch set them), which an apply would never remove. The patch carries the desired
    /// `spec.metrics` too: Kubernetes 1.26 stores an Object AverageValue target with `value: "0"`
    /// and refuses every write but apply that keeps it.
    public static func dropPatch(desired: HorizontalPodAutoscaler, live: HorizontalPodAutoscaler, fieldManager: String) throws -> JSONValue? {
        let updated = OwnedFields(live.metadata.managedFields, manager: fieldManager, operations: ["Update"])
        let wanted = desired.metadata.annotations ?? [:]
        let gone = (live.metadata.annotations ?? [:]).keys.filter { wanted[$0] == nil && updated.contains(["metadata", "annotations", $0]) }
        var spec: [String: JSONValue] = [:]
        if desired.spec.defaulted.behavior != live.spec.defaulted.behavior && updated.contains(["spec", "behavior"]) {
            spec["behavior"] = JSONValue.mergePatch(from: try encoded(live.spec.behavior), to: try encoded(desired.spec.behavior))
        }
        guard !gone.isEmpty || !spec.isEmpty else { return nil }
        spec["metrics"] = try encoded(desired.spec.metrics)
        var patch: [String: JSONValue] = ["spec": .object(spec)]
        if !gone.isEmpty { patch["metadata"] = .object(["annotations": .object(Dictionary(uniqueKeysWithValues: gone.map { ($0, .null) }))]) }
        return .object(patch)
    }

    private static func encoded(_ value: some Encodable) throws -> JSONValue {
        try JSONValue(parsing: JSONEncoder().encode(value))
    }

    /// The metrics as a multiset: their order means nothing to the HPA controller, and the
    /// apiserver does not keep it (autoscaling/v1 storage moves a cpu Utilization metric last).
    private static func normalized(_ metrics: [MetricSpec]?) -> [MetricSpec: Int] {
        (metrics ?? []).reduce(into: [:]) { counts, original in
            var metric = original
            if let target = original.object?.target { metric.object?.target = target.meaningful }
            if let target = original.pods?.target { metric.pods?.target = target.meaningful }
            if let target = original.resource?.target { metric.resource?.target = target.meaningful }
            if let target = original.containerResource?.target { metric.containerResource?.target = target.meaningful }
            if let target = original.external?.target { metric.external?.target = target.meaningful }
            counts[metric, default: 0] += 1
        }
    }
}
