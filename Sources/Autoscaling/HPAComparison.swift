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

extension HPAComparison {
    /// `managedFields` cut down to what `differences` reads: one Apply entry of `fieldManager`
    /// saying only whether it owns `spec.metrics` and `spec.behavior`, and which annotations. A
    /// cache keeps this instead of every manager's full field trees; nil when we own none of them.
    public static func ownershipEssentials(of managedFields: JSONValue?, fieldManager: String) -> JSONValue? {
        let owned = OwnedFields(managedFields, manager: fieldManager)
        var tree: [String: JSONValue] = [:]
        let spec = ["metrics", "behavior"].filter { owned.contains(["spec", $0]) }
        if !spec.isEmpty { tree["f:spec"] = .object(Dictionary(uniqueKeysWithValues: spec.map { ("f:\($0)", .object([:])) })) }
        if case .object(let annotations)? = owned.node(["metadata", "annotations"]), !annotations.isEmpty {
            tree["f:metadata"] = .object(["f:annotations": .object(annotations.mapValues { _ in .object([:]) })])
        }
        guard !tree.isEmpty else { return nil }
        return .array([.object(["manager": .string(fieldManager), "operation": .string("Apply"), "fieldsV1": .object(tree)])])
    }
}

/// The fields a manager owns through server-side apply, read from `metadata.managedFields`.
struct OwnedFields {
    private var tree: JSONValue = .object([:])

    init(_ managedFields: JSONValue?, manager: String) {
        guard case .array(let entries)? = managedFields else { return }
        for entry in entries where entry["manager"]?.stringValue == manager && entry["operation"]?.stringValue == "Apply" {
            if let fields = entry["fieldsV1"] { tree = fields }
        }
    }

    /// `["spec", "behavior"]` is owned when `f:spec` → `f:behavior` is in the tree.
    func contains(_ path: [String]) -> Bool {
        node(path) != nil
    }

    func node(_ path: [String]) -> JSONValue? {
        var node: JSONValue? = tree
        for part in path { node = node?["f:\(part)"] }
        return node
    }
}
