import Foundation
import KubeModel

extension FakeAPIServer {
    /// The Kubernetes release whose HPA storage the double follows. Only these two are captured
    /// (shared/k8s-wire and shared/k8s-wire/v1.33); a release in between is taken for the newer.
    public enum Release: Sendable, Hashable {
        /// Stores an HPA through autoscaling/v1: an Object `AverageValue` target gets a
        /// `value: "0"` (after which every write that does not replace `spec.metrics` is refused),
        /// and a cpu Utilization metric moves to the end of `metrics`.
        case v1_26
        /// Stores an HPA as it was sent (no `value: "0"`, the metrics in their order).
        case v1_33

        /// The release a server's `/version` names (`v1.26.1`, `v1.33.3`); nil when unreadable.
        public init?(gitVersion: String) {
            let parts = gitVersion.drop { $0 == "v" }.split(separator: ".")
            guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1].prefix { $0.isNumber }) else { return nil }
            self = (major, minor) <= (1, 26) ? .v1_26 : .v1_33
        }
    }

    /// The apiserver's own defaulting and validation for HPAs, as a current release does it.
    public static let kubernetesAdmission = admission(for: .v1_33)

    /// The apiserver's own defaulting and validation for HPAs, as captured in shared/k8s-wire:
    /// quantities stored canonical, `minReplicas` 1, a partial `behavior` completed, 422 for
    /// min > max or a target ≤ 0; and on `release` v1_26 its round trip through autoscaling/v1
    /// (see `Release`).
    ///
    /// `behavior.*.tolerance` is dropped without a word (shared/k8s-wire/v1.33, the strict dry
    /// run) unless `configurableTolerance` (the HPAConfigurableTolerance gate, from 1.33) is on,
    /// or the stored HPA has one already (the apiserver keeps a field in use).
    ///
    /// `minReplicas: 0` is refused unless `scaleToZero` (the HPAScaleToZero gate) is on, and then
    /// needs an Object or External metric, as Kubernetes' validation words it (not captured).
    public static func admission(for release: Release, configurableTolerance: Bool = false, scaleToZero: Bool = false) -> @Sendable (FakeResource, JSONValue, JSONValue?) throws -> JSONValue {
        { resource, object, old in
            try admit(resource, object, old: old, release: release, keepsTolerance: configurableTolerance && release != .v1_26, scaleToZero: scaleToZero)
        }
    }

    private static func admit(_ resource: FakeResource, _ object: JSONValue, old: JSONValue?, release: Release, keepsTolerance: Bool, scaleToZero: Bool) throws -> JSONValue {
        guard resource.plural == "horizontalpodautoscalers" else { return object }
        var hpa: HorizontalPodAutoscaler
        do {
            hpa = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: JSONEncoder().encode(object))
        } catch {
            throw Invalid([("spec", "Invalid value: \(error)")])
        }
        let toleranceInUse = ["scaleUp", "scaleDown"].contains { old?["spec"]?["behavior"]?[$0]?["tolerance"] != nil }
        if !keepsTolerance && !toleranceInUse {
            hpa.spec.behavior?.scaleUp?.tolerance = nil
            hpa.spec.behavior?.scaleDown?.tolerance = nil
        }
        hpa.spec = hpa.spec.defaulted
        var causes: [(field: String, message: String)] = []
        if let minimum = hpa.spec.minReplicas, hpa.spec.maxReplicas < minimum {
            causes.append(("spec.maxReplicas", "Invalid value: \(hpa.spec.maxReplicas): must be greater than or equal to `minReplicas`"))
        }
        if hpa.spec.minReplicas == 0 {
            if !scaleToZero {
                causes.append(("spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"))
            } else if !(hpa.spec.metrics ?? []).contains(where: { $0.type == .object || $0.type == .external }) {
                causes.append(("spec.metrics", "Forbidden: must specify at least one Object or External metric to support scaling to zero replicas"))
            }
        }
        for (index, metric) in (hpa.spec.metrics ?? []).enumerated() {
            for (source, target) in [
                ("object", metric.object?.target), ("pods", metric.pods?.target), ("external", metric.external?.target),
                ("resource", metric.resource?.target), ("containerResource", metric.containerResource?.target),
            ] {
                guard let target else { continue }
                for (field, value) in [("value", target.value), ("averageValue", target.averageValue)] where (value?.sign ?? 1) <= 0 {
                    causes.append(("spec.metrics[\(index)].\(source).target.\(field)", "Invalid value: \(value!): must be positive"))
                }
            }
            if release == .v1_26, var objectSource = metric.object, objectSource.target.type == .averageValue {
                objectSource.target.value = Quantity(0)
                hpa.spec.metrics?[index].object = objectSource
            }
        }
        if !causes.isEmpty { throw Invalid(causes) }
        if release == .v1_26, let metrics = hpa.spec.metrics,
            let cpu = metrics.firstIndex(where: { $0.resource?.name == "cpu" && $0.resource?.target.type == .utilization })
        {
            hpa.spec.metrics = metrics.enumerated().filter { $0.offset != cpu }.map(\.element) + [metrics[cpu]]
        }
        return try JSONValue(parsing: JSONEncoder().encode(hpa))
    }
}
