import Foundation
import KubeModel

/// The Kubernetes HPA controller's arithmetic for autoscaling/v2 (its replica calculator and
/// `computeReplicasForMetrics`), on milli-values as the controller uses them. Pure.
public enum ReplicaCalculator {
    /// The band of usage ratios within which the controller keeps the count, as Kubernetes 1.33
    /// tests it: `1 − scaleDown ≤ ratio ≤ 1 + scaleUp` in floating point (so a ratio of exactly
    /// 1.1 is within; 1.26 compared |1 − ratio| with one tolerance, which put it outside).
    public struct Tolerance: Hashable, Sendable {
        public var scaleUp: Double
        public var scaleDown: Double

        /// The controller's `--horizontal-pod-autoscaler-tolerance` default, both ways.
        public static let controllerDefault = Tolerance(scaleUp: 0.1, scaleDown: 0.1)

        public init(scaleUp: Double, scaleDown: Double) {
            self.scaleUp = scaleUp
            self.scaleDown = scaleDown
        }

        /// An HPA's own tolerances (`behavior.scaleUp.tolerance`, `behavior.scaleDown.tolerance`),
        /// each side the controller default where it is not set. Only an HPA the apiserver stored
        /// with them has them (the HPAConfigurableTolerance gate: alpha in 1.33, on by default
        /// from 1.35).
        public init(_ behavior: HorizontalPodAutoscalerBehavior?) {
            self = .controllerDefault
            if let up = behavior?.scaleUp?.tolerance { scaleUp = up.doubleValue }
            if let down = behavior?.scaleDown?.tolerance { scaleDown = down.doubleValue }
        }

        func contains(_ ratio: Double) -> Bool {
            1.0 - scaleDown <= ratio && ratio <= 1.0 + scaleUp
        }
    }

    /// What one metric reads now, in the form its target type compares it.
    public enum Reading: Hashable, Sendable {
        /// Object or External metric with a Value target: the value (External: the items' sum).
        case value(milli: Int64, targetMilli: Int64)
        /// Object or External metric with an AverageValue target: the total, compared per replica.
        case averageValue(totalMilli: Int64, targetMilli: Int64)
        /// Pods metric, or a Resource AverageValue: the average over the pods.
        case podAverage(milli: Int64, targetMilli: Int64)
        /// Resource Utilization: the pods' average percentage of their requests.
        case utilization(percent: Int64, targetPercent: Int64)
        /// The metric could not be read.
        case unknown
    }

    /// The replicas one metric asks for with `current` replicas running; nil when it is unknown.
    public static func proposal(_ reading: Reading, current: Int32, tolerance: Tolerance = .controllerDefault) -> Int32? {
        switch reading {
        case .unknown:
            return nil
        case .value(let milli, let target):
            return usageRatioReplicas(ratio: Double(milli) / Double(target), current: current, tolerance: tolerance)
        case .averageValue(let total, let target):
            // Compared per replica, but the proposal is the total over the per-pod target.
            let ratio = Double(total) / (Double(target) * Double(current))
            if current > 0, tolerance.contains(ratio) { return current }
            return clampToInt32((Double(total) / Double(target)).rounded(.up))
        case .podAverage(let milli, let target):
            return usageRatioReplicas(ratio: Double(milli) / Double(target), current: current, tolerance: tolerance)
        case .utilization(let percent, let target):
            return usageRatioReplicas(ratio: Double(percent) / Double(target), current: current, tolerance: tolerance)
        }
    }

    /// The desired replicas over all metrics: the largest proposal, clamped to [min, max], as the
    /// controller computes it before its rate limits (`behavior`) apply.
    ///
    /// - A target at 0 replicas with min > 0 is not scaled (the controller's "scaling is disabled").
    /// - Replicas outside [min, max] go straight to the bound, whatever the metrics read (readable
    ///   or not): the controller does not look at them then (`isOutOfBounds`).
    /// - With no readable metric the replicas stay; with some unreadable ones they never go down.
    public static func desiredReplicas(_ readings: [Reading], current: Int32, min: Int32, max: Int32, tolerance: Tolerance = .controllerDefault) -> Int32 {
        if current == 0 && min > 0 { return 0 }
        if current > max { return max }
        if current < min { return min }
        let proposals = readings.compactMap { proposal($0, current: current, tolerance: tolerance) }
        guard var desired = proposals.max() else { return current }
        if proposals.count < readings.count && desired < current { desired = current }
        return Swift.min(Swift.max(desired, min), max)
    }

    /// The average the controller reports for an AverageValue target (kubectl's TARGETS shows it):
    /// the total over the replicas, rounded up to the next milli.
    public static func perReplicaMilli(totalMilli: Int64, replicas: Int32) -> Int64 {
        let divisor = Int64(Swift.max(replicas, 1))
        let (quotient, remainder) = totalMilli.quotientAndRemainder(dividingBy: divisor)
        return remainder > 0 ? quotient + 1 : quotient
    }

    /// Whether the controller scales at all from current to desired: outside [min, max] it sets
    /// the bound at once, without `behavior`'s stabilization and rate limits.
    public static func isOutOfBounds(current: Int32, min: Int32, max: Int32) -> Bool {
        current > max || (current < min && current > 0)
    }

    /// `getUsageRatioReplicaCount`: within tolerance nothing changes; else ratio × current, up.
    private static func usageRatioReplicas(ratio: Double, current: Int32, tolerance: Tolerance) -> Int32 {
        if current == 0 { return clampToInt32(ratio.rounded(.up)) }
        if tolerance.contains(ratio) { return current }
        return clampToInt32((ratio * Double(current)).rounded(.up))
    }

    private static func clampToInt32(_ value: Double) -> Int32 {
        guard value.isFinite else { return value > 0 ? Int32.max : 0 }
        guard !value.isNaN else { return 0 }
        return Int32(Swift.min(Swift.max(value, 0), Double(Int32.max)))
    }
}
