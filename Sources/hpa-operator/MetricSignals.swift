import Autoscaling
import Collector
import Foundation
import HPASimulation
import KubeModel
import Operator

/// The per-metric signals on `/metrics` (KEDA's `keda_scaler_metrics_value` and
/// `keda_scaler_active` are the anchor): for each HPA metric hpa-operator serves, the value, its
/// target, its age and the replicas it proposes; for each HPA, the replicas those metrics ask
/// for, the metric that wins and the limit in force. One series per HPA metric, made at scrape
/// time from what the collector serves and the cached workload's replicas. cpu and memory come
/// from metrics-server and are not among them.
enum MetricSignals {
    struct Metric: Equatable {
        var namespace: String
        var hpa: String
        var metric: String
        /// As the HPA controller compares it; nil when it cannot be read.
        var value: Quantity?
        var target: Quantity?
        /// `Value`, `AverageValue`.
        var targetType: String
        /// Seconds since collection; nil when nothing was collected.
        var age: Double?
        var proposal: Int32?
    }

    struct HPA: Equatable {
        var namespace: String
        var hpa: String
        /// The largest proposal within the bounds and the hold; nil when no metric can be read.
        var desired: Int32?
        var winner: String?
        /// The winner's proposal, before bounds and hold.
        var wanted: Int32?
        /// What keeps `desired` from the winner's proposal: maxReplicas, minReplicas, paused,
        /// scaleUpDisabled, scaleDownDisabled, unreadableMetric (a scale-down held).
        var limit: String?
    }

    static func signals(hpa: HorizontalPodAutoscaler, served: [ServedMetric], currentReplicas: Int32?, now: Date) -> ([Metric], HPA) {
        let namespace = hpa.metadata.namespace ?? "default"
        let name = hpa.metadata.name ?? ""
        let specs = hpa.spec.metrics ?? []
        let current = currentReplicas ?? hpa.status?.currentReplicas ?? 1
        let tolerance = ReplicaCalculator.Tolerance(hpa.spec.behavior)
        var metrics: [Metric] = []
        for metric in served where specs.indices.contains(metric.specIndex) {
            let spec = specs[metric.specIndex]
            let target = spec.object?.target ?? spec.external?.target ?? spec.pods?.target
            var row = Metric(
                namespace: namespace, hpa: name, metric: metric.name, value: nil, target: target?.averageValue ?? target?.value,
                targetType: target?.averageValue != nil ? "AverageValue" : "Value", age: metric.collectedAt.map { max(0, now.timeIntervalSince($0)) },
                proposal: nil)
            if case .success(let collected)? = metric.reading {
                let (value, reading) = reading(spec, collected, replicas: max(current, 1))
                row.value = value
                row.proposal = ReplicaCalculator.proposal(reading, current: max(current, 1), tolerance: tolerance)
            }
            metrics.append(row)
        }
        var summary = HPA(namespace: namespace, hpa: name)
        let proposals = metrics.compactMap { row in row.proposal.map { (row.metric, $0) } }
        guard let best = proposals.max(by: { $0.1 < $1.1 }) else { return (metrics, summary) }
        // The first of equals wins, as in the controller's loop.
        let winner = proposals.first { $0.1 == best.1 }!
        summary.winner = winner.0
        summary.wanted = winner.1
        (summary.desired, summary.limit) = outcome(
            wanted: winner.1, current: current, minimum: hpa.spec.minReplicas ?? 1, maximum: hpa.spec.maxReplicas,
            someUnreadable: metrics.contains { $0.value == nil }, behavior: hpa.spec.behavior)
        return (metrics, summary)
    }

    /// What the HPA controller makes of the winning proposal, in its order: at 0 replicas (with a
    /// floor above 0) it does not act; outside the bounds it moves to them; a metric it cannot
    /// read holds a scale-down; then the bounds, then a direction `behavior` disables.
    static func outcome(
        wanted: Int32, current: Int32, minimum: Int32, maximum: Int32, someUnreadable: Bool,
        behavior: HorizontalPodAutoscalerBehavior?
    ) -> (desired: Int32, limit: String?) {
        if current == 0 && minimum > 0 { return (0, nil) }
        if current > maximum { return (maximum, nil) }
        if current < minimum { return (minimum, nil) }
        if wanted < current && someUnreadable { return (current, "unreadableMetric") }
        var (desired, limit): (Int32, String?) = (min(max(wanted, minimum), maximum), wanted > maximum ? "maxReplicas" : wanted < minimum ? "minReplicas" : nil)
        let (up, down) = (behavior?.scaleUp?.selectPolicy == "Disabled", behavior?.scaleDown?.selectPolicy == "Disabled")
        if up && down && desired != current {
            (desired, limit) = (current, "paused")
        } else if up && desired > current {
            (desired, limit) = (current, "scaleUpDisabled")
        } else if down && desired < current {
            (desired, limit) = (current, "scaleDownDisabled")
        }
        return (desired, limit)
    }

    /// What the HPA controller compares for one metric: the value as it reads it (per replica
    /// for an AverageValue target, the pods' average for a pods metric) and its reading.
    static func reading(_ spec: MetricSpec, _ collected: Collected, replicas: Int32) -> (Quantity?, ReplicaCalculator.Reading) {
        let target = spec.object?.target ?? spec.external?.target ?? spec.pods?.target
        guard let target else { return (nil, .unknown) }
        let milli: Int64
        switch collected {
        case .value(let quantity):
            milli = (try? quantity.milliValue()) ?? 0
        case .pods(let values):
            // The controller averages the pods' values (integer milli division).
            guard !values.isEmpty else { return (nil, .unknown) }
            milli = values.values.reduce(Int64(0)) { $0 + ((try? $1.milliValue()) ?? 0) } / Int64(values.count)
        }
        if spec.type == .pods, let average = target.averageValue, let targetMilli = try? average.milliValue() {
            return (Quantity(milli: milli), .podAverage(milli: milli, targetMilli: targetMilli))
        }
        if let average = target.averageValue, let targetMilli = try? average.milliValue() {
            let perReplica = ReplicaCalculator.perReplicaMilli(totalMilli: milli, replicas: replicas)
            return (Quantity(milli: perReplica), .averageValue(totalMilli: milli, targetMilli: targetMilli))
        }
        if let value = target.value, let targetMilli = try? value.milliValue() {
            return (Quantity(milli: milli), .value(milli: milli, targetMilli: targetMilli))
        }
        return (nil, .unknown)
    }

    /// The section `/metrics` adds: every HPA the collector serves metrics for, at the replicas
    /// the cache shows for its workload.
    static func section(collector: Collector, manager: Manager, now: Date) async -> String {
        let gathered = await gather(collector: collector, manager: manager, now: now)
        return exposition(gathered.flatMap(\.metrics), gathered.map(\.summary))
    }

    /// The signals of every HPA the collector serves metrics for, at the replicas the cache shows
    /// for its workload.
    static func gather(collector: Collector, manager: Manager, now: Date) async -> [(hpa: HorizontalPodAutoscaler, metrics: [Metric], summary: HPA)] {
        await collector.servedMetrics(now: now).map { hpa, served in
            let target = hpa.spec.scaleTargetRef
            let current = manager.currentReplicas(kind: target.kind, namespace: hpa.metadata.namespace ?? "", name: target.name).map { Int32(clamping: $0) }
            let (metrics, summary) = signals(hpa: hpa, served: served, currentReplicas: current, now: now)
            return (hpa, metrics, summary)
        }
    }

    /// The Prometheus text exposition of the signals.
    static func exposition(_ metrics: [Metric], _ hpas: [HPA]) -> String {
        var lines: [String] = []
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: Double)]) {
            guard !samples.isEmpty else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples {
                let labels = sample.labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",")
                lines.append("\(name){\(labels)} \(number(sample.value))")
            }
        }
        func labels(_ row: Metric) -> [(String, String)] { [("namespace", row.namespace), ("hpa", row.hpa), ("metric", row.metric)] }
        family(
            Names.value, "The value the HPA controller compares for an HPA metric hpa-operator serves (per replica for an AverageValue target).",
            metrics.compactMap { row in row.value.map { (labels(row), $0.doubleValue) } })
        family(
            Names.target, "The target of an HPA metric hpa-operator serves.",
            metrics.compactMap { row in row.target.map { (labels(row) + [("type", row.targetType)], $0.doubleValue) } })
        family(
            Names.readable, "1 while an HPA metric hpa-operator serves has a value, 0 while it fails (the HPA's events and the metrics API say why).",
            metrics.map { (labels($0), $0.value == nil ? 0 : 1) })
        family(Names.age, "Seconds since an HPA metric's value was collected.", metrics.compactMap { row in row.age.map { (labels(row), $0) } })
        family(
            Names.proposal, "The replicas an HPA metric proposes alone, by the HPA controller's rules, from the workload's current replicas.",
            metrics.compactMap { row in row.proposal.map { (labels(row), Double($0)) } })
        family(
            Names.desired, "The replicas the metrics hpa-operator serves ask for, within the HPA's bounds and hold (cpu and memory not counted).",
            hpas.compactMap { hpa in hpa.desired.map { ([("namespace", hpa.namespace), ("hpa", hpa.hpa)], Double($0)) } })
        family(
            Names.winner, "1 for the metric whose proposal wins.",
            hpas.compactMap { hpa in hpa.winner.map { ([("namespace", hpa.namespace), ("hpa", hpa.hpa), ("metric", $0)], 1) } })
        family(
            Names.limited, "1 while a limit keeps the HPA from the winning proposal: maxReplicas, minReplicas, paused, scaleUpDisabled, scaleDownDisabled or unreadableMetric.",
            hpas.compactMap { hpa in hpa.limit.map { ([("namespace", hpa.namespace), ("hpa", hpa.hpa), ("limit", $0)], 1) } })
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// The series names, for the dashboard's check.
    enum Names {
        static let value = "hpa_operator_metric_value"
        static let target = "hpa_operator_metric_target"
        static let readable = "hpa_operator_metric_readable"
        static let age = "hpa_operator_metric_age_seconds"
        static let proposal = "hpa_operator_metric_proposed_replicas"
        static let desired = "hpa_operator_hpa_desired_replicas"
        static let winner = "hpa_operator_hpa_winning_metric"
        static let limited = "hpa_operator_hpa_limited"
        static let all = [value, target, readable, age, proposal, desired, winner, limited]
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
