import Foundation
import KubeModel

/// What to serve for a metric whose HPA has `fallbackReplicas`, once the metric has failed for
/// `after`: the value that makes the HPA controller's proposal for this metric exactly `replicas`.
/// The controller still takes the maximum over all the HPA's metrics, so a higher proposal of a
/// metric that still reads (cpu, another query) wins. Pure.
public struct FallbackRule: Hashable, Sendable {
    /// The metric's target in the HPA (Object and External metrics have no Utilization).
    public enum Target: Hashable, Sendable {
        case value(Quantity)
        case averageValue(Quantity)
    }

    public var replicas: Int32
    public var after: Duration
    public var target: Target
    /// The HPA that asked for it: its Events say when the fallback starts and ends.
    public var hpa: ObjectKey
    /// The metric's name in that HPA (`PlannedMetric.name`).
    public var metric: String
    /// Whose current replicas a Value target is divided by.
    public var scaleTarget: ScaleTarget

    public init(replicas: Int32, after: Duration, target: Target, hpa: ObjectKey, metric: String, scaleTarget: ScaleTarget) {
        self.replicas = replicas
        self.after = after
        self.target = target
        self.hpa = hpa
        self.metric = metric
        self.scaleTarget = scaleTarget
    }

    /// Whether a metric failing since `since` is served from this rule at `now`.
    public func applies(failingSince since: Date, now: Date) -> Bool {
        now.timeIntervalSince(since) >= after.seconds
    }

    /// The value to serve. AverageValue: `replicas × target` (the controller divides by the
    /// target: exactly `replicas`). Value: `target × replicas ÷ current`, rounded down to the
    /// thousandth so that the controller's ceiling of `ratio × current` lands on `replicas`, not
    /// one above; nil while the current replicas are unknown or 0 (at 0 the controller does not
    /// scale, unless the HPA's minReplicas is 0: native scale to zero, where an AverageValue
    /// fallback wakes the workload and a Value one does not). The controller multiplies a Value
    /// ratio by its *ready* pods, not by the replicas: while pods are starting it proposes fewer.
    public func value(currentReplicas: Int?) -> Quantity? {
        switch target {
        case .averageValue(let quantity):
            return Quantity(nanos: quantity.nanos * Int128(replicas))
        case .value(let quantity):
            guard let current = currentReplicas, current > 0 else { return nil }
            let milli = (quantity.nanos * Int128(replicas)) / (Int128(current) * 1_000_000)
            return Int64(exactly: milli).map { Quantity(milli: $0) }
        }
    }
}
