import Foundation
import KubeModel

extension FakeAPIServer {
    /// The apiserver's own defaulting and validation for HPAs, as captured in shared/k8s-wire:
    /// quantities stored canonical, `minReplicas` 1, a partial `behavior` completed, the pre-release
    /// quirk of a `value: "0"` on Object AverageValue targets (which makes every later write that
    /// does not replace `spec.metrics` invalid, as on the real v1.26), a cpu Utilization metric moved to the
    /// end of `metrics` (both from the round trip through autoscaling/v1 storage, where that metric
    /// is `targetCPUUtilizationPercentage` and the others an annotation), and 422 for min > max or a
    /// target ≤ 0.
    public static let kubernetesAdmission: @Sendable (FakeResource, JSONValue, JSONValue?) throws -> JSONValue = { resource, object, _ in
        guard resource.plural == "horizontalpodautoscalers" else { return object }
        var hpa: HorizontalPodAutoscaler
        do {
            hpa = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: JSONEncoder().encode(object))
        } catch {
            throw Invalid([("spec", "Invalid value: \(error)")])
        }
        hpa.spec = hpa.spec.defaulted
        var causes: [(field: String, message: String)] = []
        if let minimum = hpa.spec.minReplicas, hpa.spec.maxReplicas < minimum {
            causes.append(("spec.maxReplicas", "Invalid value: \(hpa.spec.maxReplicas): must be greater than or equal to `minReplicas`"))
        }
        for (index, metric) in (hpa.spec.metrics ?? []).enumerated() {
            for (source, target) in [("object", metric.object?.target), ("pods", metric.pods?.target), ("external", metric.external?.target), ("resource", metric.resource?.target)] {
                guard let target else { continue }
                for (field, value) in [("value", target.value), ("averageValue", target.averageValue)] where (value?.sign ?? 1) <= 0 {
                    causes.append(("spec.metrics[\(index)].\(source).target.\(field)", "Invalid value: \(value!): must be positive"))
                }
            }
            if var objectSource = metric.object, objectSource.target.type == .averageValue {
                objectSource.target.value = Quantity(0)
                hpa.spec.metrics?[index].object = objectSource
            }
        }
        if !causes.isEmpty { throw Invalid(causes) }
        if let metrics = hpa.spec.metrics, let cpu = metrics.firstIndex(where: { $0.resource?.name == "cpu" && $0.resource?.target.type == .utilization }) {
            hpa.spec.metrics = metrics.enumerated().filter { $0.offset != cpu }.map(\.element) + [metrics[cpu]]
        }
        return try JSONValue(parsing: JSONEncoder().encode(hpa))
    }
}
