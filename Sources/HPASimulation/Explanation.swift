import Foundation
import KubeModel

/// Why an HPA asks for the replicas it does: its metrics as the HPA controller last read them (the
/// HPA's status), replayed at the replica count it read them with, each one's proposal by the controller's arithmetic (`ReplicaCalculator`, with
/// the HPA's tolerances), the winner, every clamp between the winner and the outcome, what the
/// controller itself concluded (status and conditions), where the two disagree, and what would
/// change the count next. Pure: built from the objects `explain` reads.
public struct Explanation: Encodable, Sendable, Hashable {
    public struct Metric: Encodable, Sendable, Hashable {
        /// As kubectl names it: the metric's name, or the resource's (`cpu`, `cpu (app)`).
        public var name: String
        public var type: String
        /// As the controller last read it (per replica for AverageValue targets); nil when it has not.
        public var current: String?
        public var target: String
        /// The replicas this metric asks for at the current count; nil when unreadable.
        public var proposal: Int32?
        /// Within the tolerance band, the count stays: the values that would move it.
        public var scalesUpAbove: String?
        public var scalesDownBelow: String?
    }

    public struct Condition: Encodable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var reason: String?
        public var message: String?
    }

    public var hpa: String
    /// The replicas the workload has now.
    public var currentReplicas: Int32
    /// The replicas the controller computed from at its last sync (status.currentReplicas), which
    /// the replay uses; the workload's own count when the HPA has no status.
    public var replayedAt: Int32
    public var minReplicas: Int32
    public var maxReplicas: Int32
    public var toleranceUp: Double
    public var toleranceDown: Double
    public var metrics: [Metric]
    /// The metric whose proposal is the largest (ties: the first), nil when none reads.
    public var winner: String?
    /// What the metrics ask for within the bounds, before `behavior` (stabilization, rate limits).
    public var desiredByMetrics: Int32
    /// The reasoning from the proposals to `desiredByMetrics`, in order.
    public var steps: [String]
    /// The HPA controller's own conclusion at its last sync (status.desiredReplicas).
    public var controllerDesired: Int32?
    public var lastScaleTime: String?
    public var conditions: [Condition]
    /// Where this replay and the controller's status disagree, or the status cannot be trusted.
    public var findings: [String]
    /// What happens next.
    public var next: String

    /// - Parameters:
    ///   - currentReplicas: the workload's `spec.replicas` now.
    ///   - readyReplicas: its ready pods, when known: the controller counts only those for Pods
    ///     and Resource metrics and Value targets.
    ///   - otherHPAs: names of further HPAs that target the same workload.
    public static func explain(_ hpa: HorizontalPodAutoscaler, currentReplicas workload: Int32, readyReplicas: Int32? = nil, otherHPAs: [String] = []) -> Explanation {
        let spec = hpa.spec.defaulted
        let minimum = spec.minReplicas ?? 1
        let maximum = spec.maxReplicas
        let tolerance = ReplicaCalculator.Tolerance(spec.behavior)
        let status = hpa.status
        let current = status?.currentReplicas ?? workload
        let statuses = status?.currentMetrics ?? []
        let specMetrics = spec.metrics ?? []
        var metrics: [Metric] = []
        var readings: [ReplicaCalculator.Reading] = []
        for (index, metric) in specMetrics.enumerated() {
            // The controller writes statuses[i] for metrics[i] (an empty type where it failed).
            let recorded = statuses.count == specMetrics.count ? (Self.matches(statuses[index], metric) ? statuses[index] : nil) : statuses.first { Self.matches($0, metric) }
            let (row, reading) = Self.row(metric, status: recorded, current: current, tolerance: tolerance)
            metrics.append(row)
            readings.append(reading)
        }
        let desired = ReplicaCalculator.desiredReplicas(readings, current: current, min: minimum, max: maximum, tolerance: tolerance)
        // The largest proposal; the first of equals.
        var winner: Int?
        for index in metrics.indices {
            if let proposal = metrics[index].proposal, proposal > winner.flatMap({ metrics[$0].proposal }) ?? Int32.min { winner = index }
        }
        let scalingInactive = status?.conditions?.first { $0.type == "ScalingActive" && $0.status == "False" }
        var steps: [String] = []
        if current == 0 && minimum > 0 {
            steps.append("0 replicas with minReplicas \(minimum): the HPA controller does not scale (ScalingDisabled); with the operator's scale to zero, the operator wakes it")
        } else if current > maximum || current < minimum {
            steps.append("\(current) replicas are outside [\(minimum), \(maximum)]: the controller goes straight to \(desired), whatever the metrics read")
        } else {
            for row in metrics {
                guard let proposal = row.proposal else {
                    steps.append("\(row.name) has no current value: it proposes nothing\(desired < current ? "" : ", and the controller will not scale down while it cannot read it")")
                    continue
                }
                let band = current > 0 ? row.scalesUpAbove.map { " (within the tolerance band: it moves above \($0) or below \(row.scalesDownBelow ?? "?"))" } ?? "" : ""
                steps.append("\(row.name) \(row.current ?? "?") against \(row.target): \(proposal) replica\(proposal == 1 ? "" : "s")\(proposal == current ? band : "")")
            }
            if let winner, let proposal = metrics[winner].proposal {
                steps.append("the largest proposal wins: \(metrics[winner].name) with \(proposal)")
                if proposal > maximum { steps.append("\(proposal) is above maxReplicas: \(maximum)") }
                if proposal < minimum { steps.append("\(proposal) is below minReplicas: \(minimum)") }
                if desired == current && proposal < current && metrics.contains(where: { $0.proposal == nil }) {
                    steps.append("a metric cannot be read: the controller holds \(current) instead of scaling down")
                }
            } else if !metrics.isEmpty {
                steps.append("no metric can be read: the controller holds \(current)")
            }
        }
        var findings: [String] = []
        let controller = status?.desiredReplicas
        let (upDisabled, downDisabled) = (spec.behavior?.scaleUp?.selectPolicy == "Disabled", spec.behavior?.scaleDown?.selectPolicy == "Disabled")
        var heldByPolicy = true
        if upDisabled && downDisabled {
            findings.append(
                "autoscaling is held: the HPA scales in neither direction (selectPolicy Disabled both ways: hpa-operator's paused or paused-replicas annotation, or both directions disabled)"
                    + (minimum == maximum ? "; its bounds are \(minimum), where the controller moves the workload whatever the metrics say" : ""))
        } else if upDisabled && desired > current {
            findings.append("scale-up is disabled (selectPolicy Disabled): the metrics ask for \(desired), the controller keeps \(current)")
        } else if downDisabled && desired < current {
            findings.append("scale-down is disabled (selectPolicy Disabled): the metrics ask for \(desired), the controller keeps \(current)")
        } else {
            heldByPolicy = false
        }
        if status == nil {
            findings.append("the HPA has no status: the HPA controller has not synced it yet (or is not running); the replay uses the workload's \(workload) replicas")
        } else if let controller, controller != desired, scalingInactive == nil, !heldByPolicy {
            let conditions = status?.conditions ?? []
            let able = conditions.first { $0.type == "AbleToScale" && $0.reason != "ReadyForNewScale" && $0.reason != "SucceededRescale" }
            let limited = conditions.first { $0.type == "ScalingLimited" && $0.status == "True" }
            var finding = "the controller's last sync asked for \(controller), the metrics it recorded give \(desired)"
            if let said = able ?? limited, let reason = said.reason {
                finding += ": \(said.type) says \(reason)\(said.message.map { " (\($0))" } ?? "")"
            } else if let ready = readyReplicas, ready < current {
                finding += ": \(ready) of \(current) pods are ready, and the controller counts ready pods for Pods and Resource metrics and Value targets"
            } else {
                finding += ": `behavior` held it (a stabilization window keeps the highest recommendation of its span when scaling down and the lowest when scaling up; rate limits cap each step)"
            }
            findings.append(finding)
        }
        if let scalingInactive {
            findings.append("ScalingActive is False (\(scalingInactive.reason ?? "")): \(scalingInactive.message ?? "the controller cannot compute a scale")")
        }
        if let controller, workload != controller {
            findings.append(
                "the workload has \(workload) replicas and the controller's last sync asked for \(controller): they changed since (kubectl scale, the operator's scale to zero, a rollout), or the controller could not write them"
            )
        }
        if !otherHPAs.isEmpty {
            findings.append(
                "HorizontalPodAutoscaler \(otherHPAs.joined(separator: ", ")) also scale\(otherHPAs.count == 1 ? "s" : "") this workload: the controller refuses to act on a target with several HPAs (AmbiguousSelector)"
            )
        }
        let next: String
        if scalingInactive != nil {
            next = "the controller does not scale until it can compute a scale again (ScalingActive=False)"
        } else if workload == 0 && minimum > 0 {
            next = "0 replicas stay until something scales the workload up (with the operator's scale to zero: when an activation threshold is exceeded)"
        } else if let controller, workload != controller {
            next = "the controller computes again from \(workload) replicas at its next sync (every 15 s by default)"
        } else if let controller, controller != current {
            next = "the controller scaled from \(current) to \(controller) at its last sync; it computes again from \(controller) at its next sync (every 15 s by default)"
        } else if status == nil && desired != current {
            next = "the controller scales to \(desired) once it syncs, within its `behavior`"
        } else if desired != current {
            next = "\(current) replicas stay while the controller holds them (see Findings); if the metrics stay as they are, it goes to \(desired) once its stabilization window has passed"
        } else if current == 0 {
            next = "0 replicas stay until a metric reads above 0"
        } else {
            next =
                "\(current) replicas stay until a metric leaves its tolerance band"
                + (metrics.compactMap { row in row.scalesUpAbove.map { "\(row.name) above \($0) or below \(row.scalesDownBelow ?? "?")" } }.first.map { ": \($0)" } ?? "")
        }
        return Explanation(
            hpa: "\(hpa.metadata.namespace ?? "default")/\(hpa.metadata.name ?? "")", currentReplicas: workload, replayedAt: current, minReplicas: minimum, maxReplicas: maximum,
            toleranceUp: tolerance.scaleUp, toleranceDown: tolerance.scaleDown, metrics: metrics, winner: winner.map { metrics[$0].name },
            desiredByMetrics: desired, steps: steps, controllerDesired: controller, lastScaleTime: status?.lastScaleTime,
            conditions: (status?.conditions ?? []).map { Condition(type: $0.type, status: $0.status, reason: $0.reason, message: $0.message) },
            findings: findings, next: next)
    }

    /// A status entry is a spec metric's when it names the same source.
    static func matches(_ status: MetricStatus, _ spec: MetricSpec) -> Bool {
        guard status.type == spec.type else { return false }
        switch spec.type {
        case .object: return status.object?.metric == spec.object?.metric && status.object?.describedObject == spec.object?.describedObject
        case .external: return status.external?.metric == spec.external?.metric
        case .pods: return status.pods?.metric == spec.pods?.metric
        case .resource: return status.resource?.name == spec.resource?.name
        case .containerResource: return status.containerResource?.name == spec.containerResource?.name && status.containerResource?.container == spec.containerResource?.container
        default: return false
        }
    }

    /// One metric's row, and what the calculator compares. AverageValue targets of Object and
    /// External metrics are recorded per replica (the controller's rounding up): the total is
    /// taken back as that times the replicas, within a milli per replica of the controller's.
    static func row(_ metric: MetricSpec, status: MetricStatus?, current: Int32, tolerance: ReplicaCalculator.Tolerance) -> (Metric, ReplicaCalculator.Reading) {
        let (name, target, value): (String, MetricTarget?, MetricValueStatus?) =
            switch metric.type {
            case .object: (metric.object?.metric.name ?? "object", metric.object?.target, status?.object?.current)
            case .external: (metric.external?.metric.name ?? "external", metric.external?.target, status?.external?.current)
            case .pods: (metric.pods?.metric.name ?? "pods", metric.pods?.target, status?.pods?.current)
            case .resource: (metric.resource?.name ?? "resource", metric.resource?.target, status?.resource?.current)
            case .containerResource:
                ("\(metric.containerResource?.name ?? "resource") (\(metric.containerResource?.container ?? "?"))", metric.containerResource?.target, status?.containerResource?.current)
            default: (metric.type.rawValue, nil, nil)
            }
        var row = Metric(name: name, type: metric.type.rawValue, current: nil, target: target.map(Self.text) ?? "<unknown>", proposal: nil)
        guard let target, let value else { return (row, .unknown) }
        if target.type == .utilization {
            guard let percent = value.averageUtilization, let goal = target.averageUtilization else { return (row, .unknown) }
            row.current = "\(percent)%"
            row.scalesUpAbove = Self.percent(Double(goal) * (1 + tolerance.scaleUp))
            row.scalesDownBelow = Self.percent(Double(goal) * (1 - tolerance.scaleDown))
            let reading = ReplicaCalculator.Reading.utilization(percent: Int64(percent), targetPercent: Int64(goal))
            row.proposal = ReplicaCalculator.proposal(reading, current: current, tolerance: tolerance)
            return (row, reading)
        }
        // A Value target compares `value`, an AverageValue one `averageValue`, in millis.
        let byValue = target.type == .value
        guard let now = byValue ? value.value : value.averageValue, let goal = byValue ? target.value : target.averageValue,
            let nowMilli = try? now.milliValue(), let goalMilli = try? goal.milliValue(), goalMilli > 0, target.type == .value || target.type == .averageValue
        else { return (row, .unknown) }
        row.current = now.description
        row.scalesUpAbove = Self.quantity(goal.doubleValue * (1 + tolerance.scaleUp))
        row.scalesDownBelow = Self.quantity(goal.doubleValue * (1 - tolerance.scaleDown))
        let reading: ReplicaCalculator.Reading
        if byValue {
            reading = .value(milli: nowMilli, targetMilli: goalMilli)
        } else if metric.type == .object || metric.type == .external {
            // Recorded per replica at 0 replicas, the value is a division by zero: nothing to read.
            guard current > 0, let total = Self.total(perReplicaMilli: nowMilli, replicas: current) else { return (row, .unknown) }
            reading = .averageValue(totalMilli: total, targetMilli: goalMilli)
        } else {
            reading = .podAverage(milli: nowMilli, targetMilli: goalMilli)
        }
        row.proposal = ReplicaCalculator.proposal(reading, current: current, tolerance: tolerance)
        return (row, reading)
    }

    /// The total behind a per-replica value the controller recorded as ceil(total / replicas) in
    /// millis: one of (replicas × (value − 1), replicas × value]. A whole number there is taken
    /// (queries of counts, targets of whole numbers), else the top of the range.
    static func total(perReplicaMilli value: Int64, replicas: Int32) -> Int64? {
        let (high, overflow) = value.multipliedReportingOverflow(by: Int64(replicas))
        guard !overflow else { return nil }
        let low = high - Int64(replicas) + 1
        let whole = high - high % 1000
        return whole >= low ? whole : high
    }

    static func text(_ target: MetricTarget) -> String {
        if let percent = target.averageUtilization { return "\(percent)% (utilization)" }
        if let average = target.averageValue { return "\(average) (average per replica)" }
        return target.value?.description ?? "<unknown>"
    }

    private static func quantity(_ value: Double) -> String {
        (try? Quantity(roundingToMilli: value))?.description ?? String(value)
    }

    private static func percent(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))%" : "\(rounded)%"
    }
}
