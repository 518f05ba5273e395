import KubeModel

/// What the HPA controller does with a desired replica count before it scales, over time
/// (`normalizeDesiredReplicas` and `normalizeDesiredReplicasWithBehaviors` of
/// pkg/controller/podautoscaler): stabilization over the recommendations of a window, then the
/// rate limits. Pure: the caller keeps the `ScalingHistory` between syncs and passes the time in.
///
/// - Without `behavior` (as the apiserver stores it: nil stays nil) the controller's old path
///   applies: the highest recommendation of the last 300 s (`--horizontal-pod-autoscaler-downscale-stabilization`)
///   and at most `max(2 × current, 4)` replicas after a scale-up.
/// - With `behavior` (give it `defaulted`, as stored): scale-up takes the lowest recommendation of
///   its window and scale-down the highest of its; then each direction's policies over the scale
///   events of their `periodSeconds` (`Pods`: ± value, `Percent`: up rounded up, down rounded
///   down), combined by `selectPolicy` (`Max`: the largest change, `Min`: the smallest,
///   `Disabled`: none).
public enum ScalingBehavior {
    /// The old path's stabilization window and scale-up limit.
    public static let defaultDownscaleWindowSeconds = 300.0
    static let scaleUpLimitFactor: Int32 = 2
    static let scaleUpLimitMinimum: Int32 = 4

    /// One sync of the controller: the metrics' desired count (`ReplicaCalculator`, with the
    /// HPA's tolerances where `behavior` has them), then
    /// stabilization and rate limits; replicas outside the bounds go straight to the bound. The
    /// first sync records the current count as a recommendation, as the controller does when it
    /// first sees an HPA, so a scale-down waits for its window from then.
    public static func sync(
        _ readings: [ReplicaCalculator.Reading], current: Int32, min minReplicas: Int32, max maxReplicas: Int32,
        behavior: HorizontalPodAutoscalerBehavior?, now: Double, history: inout ScalingHistory
    ) -> Int32 {
        if history.isEmpty { history.recommend(current, at: now, keepingAfter: now) }
        let desired = ReplicaCalculator.desiredReplicas(
            readings, current: current, min: minReplicas, max: maxReplicas,
            tolerance: ReplicaCalculator.Tolerance(behavior))
        if ReplicaCalculator.isOutOfBounds(current: current, min: minReplicas, max: maxReplicas) {
            if behavior != nil, desired != current { history.record(from: current, to: desired, at: now) }
            return desired
        }
        return normalize(desired: desired, current: current, min: minReplicas, max: maxReplicas, behavior: behavior, now: now, history: &history)
    }

    /// The next replica count, and the history updated with this sync's recommendation and, when
    /// it changes the count, its scale event. `desired` is the metrics' count within the bounds
    /// (ReplicaCalculator.desiredReplicas); `now` in seconds.
    public static func normalize(
        desired: Int32, current: Int32, min minReplicas: Int32, max maxReplicas: Int32,
        behavior: HorizontalPodAutoscalerBehavior?, now: Double, history: inout ScalingHistory
    ) -> Int32 {
        let next: Int32
        if let behavior {
            let stabilized = stabilize(desired, current: current, behavior: behavior, now: now, history: &history)
            next = limitRate(stabilized, current: current, min: minReplicas, max: maxReplicas, behavior: behavior, now: now, history: history)
            if next != current { history.record(from: current, to: next, at: now) }
        } else {
            let cutoff = now - defaultDownscaleWindowSeconds
            let highest = history.recommendations.filter { $0.at >= cutoff }.map(\.replicas).reduce(desired, Swift.max)
            history.recommend(desired, at: now, keepingAfter: cutoff)
            let upLimit = Swift.max(scaleUpLimitFactor * current, scaleUpLimitMinimum)
            next = Swift.min(Swift.max(highest, minReplicas), Swift.min(maxReplicas, upLimit))
        }
        return next
    }

    private static func stabilize(_ desired: Int32, current: Int32, behavior: HorizontalPodAutoscalerBehavior, now: Double, history: inout ScalingHistory) -> Int32 {
        let upCutoff = now - Double(behavior.scaleUp?.stabilizationWindowSeconds ?? 0)
        let downCutoff = now - Double(behavior.scaleDown?.stabilizationWindowSeconds ?? 300)
        var up = desired
        var down = desired
        for recommendation in history.recommendations {
            if recommendation.at > upCutoff { up = Swift.min(up, recommendation.replicas) }
            if recommendation.at > downCutoff { down = Swift.max(down, recommendation.replicas) }
        }
        history.recommend(desired, at: now, keepingAfter: Swift.min(upCutoff, downCutoff))
        return Swift.min(Swift.max(current, up), down)
    }

    private static func limitRate(
        _ desired: Int32, current: Int32, min minReplicas: Int32, max maxReplicas: Int32,
        behavior: HorizontalPodAutoscalerBehavior, now: Double, history: ScalingHistory
    ) -> Int32 {
        if desired > current, let rules = behavior.scaleUp {
            let limit = Swift.max(change(rules, up: true, current: current, now: now, history: history), current)
            return Swift.min(desired, Swift.min(maxReplicas, limit))
        }
        if desired < current, let rules = behavior.scaleDown {
            let limit = Swift.min(change(rules, up: false, current: current, now: now, history: history), current)
            return Swift.max(desired, Swift.max(minReplicas, limit))
        }
        return desired
    }

    /// The furthest count the policies allow from `current` in one direction.
    private static func change(_ rules: HPAScalingRules, up: Bool, current: Int32, now: Double, history: ScalingHistory) -> Int32 {
        switch rules.selectPolicy ?? "Max" {
        case "Disabled": return current
        default: break
        }
        // Max picks the largest change: the highest count up, the lowest down; Min the opposite.
        let largest = (rules.selectPolicy ?? "Max") != "Min"
        var proposals: [Int32] = []
        for policy in rules.policies ?? [] {
            let since = now - Double(policy.periodSeconds)
            let periodStart = current - history.added(after: since) + history.removed(after: since)
            let start = Double(periodStart)
            let value = Double(policy.value)
            switch (policy.type, up) {
            case ("Pods", true): proposals.append(periodStart + policy.value)
            case ("Pods", false): proposals.append(periodStart - policy.value)
            case ("Percent", true): proposals.append(Int32((start * (1 + value / 100)).rounded(.up)))
            case ("Percent", false): proposals.append(Int32((start * (1 - value / 100)).rounded(.towardZero)))
            default: continue
            }
        }
        guard let first = proposals.first else { return current }
        return proposals.dropFirst().reduce(first) { up == largest ? Swift.max($0, $1) : Swift.min($0, $1) }
    }
}

/// What the controller remembers of one HPA between syncs: its recent recommendations and its
/// scale events.
public struct ScalingHistory: Hashable, Sendable {
    public struct Recommendation: Hashable, Sendable {
        public var replicas: Int32
        public var at: Double
    }

    public struct Event: Hashable, Sendable {
        /// Positive for a scale-up, negative for a scale-down.
        public var change: Int32
        public var at: Double
    }

    public private(set) var recommendations: [Recommendation] = []

    /// Whether nothing is remembered yet (the controller has not seen the HPA).
    var isEmpty: Bool { recommendations.isEmpty && events.isEmpty }
    public private(set) var events: [Event] = []

    public init() {}

    mutating func recommend(_ replicas: Int32, at time: Double, keepingAfter cutoff: Double) {
        recommendations.removeAll { $0.at < cutoff }
        recommendations.append(Recommendation(replicas: replicas, at: time))
    }

    mutating func record(from old: Int32, to new: Int32, at time: Double) {
        // No policy period is longer than 1800 s.
        events.removeAll { $0.at < time - 1800 }
        events.append(Event(change: new - old, at: time))
    }

    func added(after cutoff: Double) -> Int32 { events.filter { $0.at > cutoff && $0.change > 0 }.map(\.change).reduce(0, +) }
    func removed(after cutoff: Double) -> Int32 { events.filter { $0.at > cutoff && $0.change < 0 }.map { -$0.change }.reduce(0, +) }
}
