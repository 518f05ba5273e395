import Foundation
import KubeModel

/// When a workload with minReplicas 0 goes to zero and when it wakes, as a pure function of what
/// the collector last saw (no clock, no I/O: `now` comes in, the memory goes back out).
///
/// - A metric is *active* while its value is above its threshold. One active metric wakes a
///   workload at zero at once, and restarts the cooldown otherwise.
/// - A value that is an error (or missing) is never inactive: it restarts the cooldown and never
///   causes zero; at zero it does not wake either.
/// - Zero comes once every metric has been inactive for the cooldown, counted from the first
///   decision that saw them all inactive.
/// - A replica count set by hand while at zero counts as activity: it holds for a cooldown.
public enum Activation {
    /// A metric with an activation threshold, as last collected.
    public struct Observation: Hashable, Sendable {
        public enum Reading: Hashable, Sendable {
            /// The query's value, before any per-replica division.
            case value(Quantity)
            /// Why there is no value (a Prometheus error, no data, not collected yet).
            case failed(String)
        }

        public var metric: String
        public var threshold: Quantity
        public var reading: Reading

        public init(metric: String, threshold: Quantity, reading: Reading) {
            self.metric = metric
            self.threshold = threshold
            self.reading = reading
        }

        public var isActive: Bool {
            if case .value(let value) = reading { return value > threshold }
            return false
        }

        public var isInactive: Bool {
            if case .value(let value) = reading { return value <= threshold }
            return false
        }

        /// `rps 3 (threshold 50)`, `rps: no data`.
        public var description: String {
            switch reading {
            case .value(let value): return "\(metric) \(value) (threshold \(threshold))"
            case .failed(let reason): return "\(metric): \(reason)"
            }
        }
    }

    /// What one decision hands the next.
    public struct Memory: Hashable, Sendable {
        /// Since when every metric has been inactive; nil while one is not.
        public var quietSince: Date?
        /// The replicas the last decision saw.
        public var replicas: Int32?

        public init(quietSince: Date? = nil, replicas: Int32? = nil) {
            self.quietSince = quietSince
            self.replicas = replicas
        }
    }

    public enum Action: Hashable, Sendable {
        case none
        /// Every metric inactive for the cooldown: set 0 replicas.
        case scaleToZero([Observation])
        /// At zero and this metric is active: set 1 replica.
        case activate(Observation)
    }

    /// - Parameters:
    ///   - observations: one per metric with a threshold; an empty list never means inactive.
    ///   - replicas: the workload's replicas now (its `spec.replicas`).
    public static func decide(_ observations: [Observation], cooldown: Duration, replicas: Int32, now: Date, memory: Memory) -> (Action, Memory) {
        var next = Memory(quietSince: memory.quietSince, replicas: replicas)
        if let active = observations.first(where: \.isActive) {
            next.quietSince = nil
            return (replicas == 0 ? .activate(active) : .none, next)
        }
        guard !observations.isEmpty, observations.allSatisfy(\.isInactive) else {
            next.quietSince = nil
            return (.none, next)
        }
        let wokenByHand = memory.replicas == 0 && replicas > 0
        let since = wokenByHand ? now : (memory.quietSince ?? now)
        next.quietSince = since
        guard replicas > 0, now.timeIntervalSince(since) >= cooldown.seconds else { return (.none, next) }
        return (.scaleToZero(observations), next)
    }

    /// `5m`, `30s`, `1m30s`, `2h`: a cooldown as users write it.
    public static func durationText(_ duration: Duration) -> String {
        let seconds = Int(duration.seconds.rounded())
        let (hours, withinHour) = seconds.quotientAndRemainder(dividingBy: 3600)
        let (minutes, rest) = withinHour.quotientAndRemainder(dividingBy: 60)
        let parts = [(hours, "h"), (minutes, "m"), (rest, "s")].filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }
        return parts.isEmpty ? "0s" : parts.joined()
    }
}
