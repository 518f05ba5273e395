import Autoscaling
import Foundation
import KubeModel

/// What the HPA controller (and, with minReplicas 0, the operator) would have done over a past
/// window: one sync per step, each metric's proposal as the controller computes it
/// (`ReplicaCalculator`), the largest within the bounds, then `ScalingBehavior` over the syncs so
/// far; scale to zero by `Activation`. Missing data is a gap: that metric proposes nothing, so
/// the controller holds (and never scales down while any metric is missing). Pure.
public enum Backtest {
    public struct Metric: Sendable {
        public enum Target: Sendable, Hashable {
            case value(Quantity)
            case averageValue(Quantity)
        }

        public var name: String
        public var target: Target
        public var activationThreshold: Quantity?
        /// The query's value at each step time (Unix seconds); a missing time is a gap.
        public var values: [Double: Double]

        public init(name: String, target: Target, activationThreshold: Quantity? = nil, values: [Double: Double]) {
            self.name = name
            self.target = target
            self.activationThreshold = activationThreshold
            self.values = values
        }
    }

    public struct Workload: Sendable {
        public var metrics: [Metric]
        /// The workload's minReplicas (0 with scale to zero; the HPA's floor is then 1).
        public var minReplicas: Int32
        public var maxReplicas: Int32
        /// As the apiserver stores it (`defaulted`); nil for the controller's old path.
        public var behavior: HorizontalPodAutoscalerBehavior?
        public var scaleToZero: ScaleToZero?

        public init(metrics: [Metric], minReplicas: Int32, maxReplicas: Int32, behavior: HorizontalPodAutoscalerBehavior?, scaleToZero: ScaleToZero? = nil) {
            self.metrics = metrics
            self.minReplicas = minReplicas
            self.maxReplicas = maxReplicas
            self.behavior = behavior
            self.scaleToZero = scaleToZero
        }
    }

    public struct Step: Sendable, Hashable, Encodable {
        public struct MetricStep: Sendable, Hashable, Encodable {
            public var name: String
            /// nil in a gap.
            public var value: Double?
            /// The replicas this metric asked for; nil in a gap.
            public var proposal: Int32?
        }

        /// Unix seconds (printed as RFC 3339).
        public var time: Double
        public var replicas: Int32
        public var metrics: [MetricStep]

        public init(time: Double, replicas: Int32, metrics: [MetricStep]) {
            self.time = time
            self.replicas = replicas
            self.metrics = metrics
        }

        enum CodingKeys: String, CodingKey { case time, replicas, metrics }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(Timestamp.rfc3339(Date(timeIntervalSince1970: time)), forKey: .time)
            try container.encode(replicas, forKey: .replicas)
            try container.encode(metrics, forKey: .metrics)
        }
    }

    public struct Gap: Sendable, Hashable, Encodable {
        public var metric: String
        public var from: Double
        public var to: Double
        public var seconds: Double { to - from }
    }

    public struct Summary: Sendable, Hashable, Encodable {
        public var minReplicas: Int32
        public var meanReplicas: Double
        public var maxReplicas: Int32
        public var scaleUps: Int
        public var scaleDowns: Int
        /// Time at maxReplicas.
        public var secondsAtMax: Double
        /// Time with a metric asking for more replicas than there were (capacity short).
        public var secondsShort: Double
        public var replicaHours: Double
        public var gaps: [Gap]
    }

    /// Simulates syncs at `times` (ascending, `step` apart) from `startReplicas`.
    public static func run(_ workload: Workload, times: [Double], step: Double, startReplicas: Int32) -> (steps: [Step], summary: Summary) {
        var history = ScalingHistory()
        var memory = Activation.Memory()
        var current = startReplicas
        var steps: [Step] = []
        // Native scale to zero: the HPA's own floor is 0, and the controller syncs at 0 too.
        let native = workload.scaleToZero?.native == true
        let floor = native ? 0 : max(workload.minReplicas, 1)
        let tolerance = ReplicaCalculator.Tolerance(workload.behavior)
        for time in times {
            var readings: [ReplicaCalculator.Reading] = []
            var metricSteps: [Step.MetricStep] = []
            for metric in workload.metrics {
                let value = metric.values[time]
                let reading = value.map { Self.reading(metric.target, value: $0) } ?? .unknown
                readings.append(reading)
                metricSteps.append(Step.MetricStep(name: metric.name, value: value, proposal: ReplicaCalculator.proposal(reading, current: native ? current : max(current, 1), tolerance: tolerance)))
            }
            var next = current
            if current > 0 || native {
                next = ScalingBehavior.sync(
                    readings, current: current, min: floor, max: workload.maxReplicas,
                    behavior: workload.behavior, now: time, history: &history)
            }
            if let zero = workload.scaleToZero, !zero.native {
                let observations = workload.metrics.compactMap { metric -> Activation.Observation? in
                    guard let threshold = metric.activationThreshold else { return nil }
                    let reading: Activation.Observation.Reading = metric.values[time].map { .value(Quantity(milli: Int64(($0 * 1000).rounded()))) } ?? .failed("no data")
                    return Activation.Observation(metric: metric.name, threshold: threshold, reading: reading)
                }
                let (action, remembered) = Activation.decide(observations, cooldown: zero.cooldown, replicas: next, now: Date(timeIntervalSince1970: time), memory: memory)
                memory = remembered
                switch action {
                case .scaleToZero: next = 0
                case .activate: next = 1
                case .none: break
                }
            }
            current = next
            steps.append(Step(time: time, replicas: current, metrics: metricSteps))
        }
        return (steps, summarize(steps, workload: workload, step: step))
    }

    static func reading(_ target: Metric.Target, value: Double) -> ReplicaCalculator.Reading {
        let milli = Int64((value * 1000).rounded())
        switch target {
        case .value(let quantity): return .value(milli: milli, targetMilli: (try? quantity.milliValue()) ?? 1)
        case .averageValue(let quantity): return .averageValue(totalMilli: milli, targetMilli: (try? quantity.milliValue()) ?? 1)
        }
    }

    static func summarize(_ steps: [Step], workload: Workload, step: Double) -> Summary {
        let replicas = steps.map(\.replicas)
        var (ups, downs) = (0, 0)
        for (before, after) in zip(replicas, replicas.dropFirst()) {
            if after > before { ups += 1 } else if after < before { downs += 1 }
        }
        var gaps: [Gap] = []
        for (index, metric) in workload.metrics.enumerated() {
            var start: Double?
            for (position, each) in steps.enumerated() {
                let missing = each.metrics[index].value == nil
                if missing, start == nil { start = each.time }
                if let from = start, !missing || position == steps.count - 1 {
                    gaps.append(Gap(metric: metric.name, from: from, to: missing ? each.time + step : each.time))
                    start = nil
                }
            }
        }
        return Summary(
            minReplicas: replicas.min() ?? 0, meanReplicas: replicas.isEmpty ? 0 : Double(replicas.reduce(0) { $0 + Int($1) }) / Double(replicas.count),
            maxReplicas: replicas.max() ?? 0, scaleUps: ups, scaleDowns: downs,
            secondsAtMax: Double(replicas.filter { $0 >= workload.maxReplicas }.count) * step,
            secondsShort: Double(steps.filter { each in each.metrics.contains { ($0.proposal ?? 0) > each.replicas } }.count) * step,
            replicaHours: Double(replicas.reduce(0) { $0 + Int($1) }) * step / 3600, gaps: gaps)
    }
}

/// Splits a range query's window into requests of at most `maximumPoints` steps each, back to
/// back (each starts one step after the previous ended), so a long window at a fine step stays
/// under Prometheus's limit.
public enum RangeChunks {
    public static func split(from start: Double, to end: Double, step: Double, maximumPoints: Int = 11_000) -> [(start: Double, end: Double)] {
        guard step > 0, end >= start else { return [] }
        var chunks: [(start: Double, end: Double)] = []
        var from = start
        let span = step * Double(maximumPoints - 1)
        while from <= end {
            let to = min(from + span, end)
            chunks.append((from, to))
            from = to + step
        }
        return chunks
    }
}
