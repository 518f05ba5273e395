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
