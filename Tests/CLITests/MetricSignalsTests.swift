import Collector
import Foundation
import KubeModel
import Operator
import Testing

@testable import hpa_operator

/// The per-metric signals: values as the HPA controller compares them, each metric's proposal,
/// the winner and the limit in force, and their text on /metrics.
@Suite struct MetricSignalsTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let target = CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "web")

    static func hpa(min: Int32 = 1, max: Int32 = 10, behavior: HorizontalPodAutoscalerBehavior? = nil) -> HorizontalPodAutoscaler {
        let rps = MetricSpec(object: ObjectMetricSource(describedObject: target, metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(40))))
        let queue = MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: "queue"), target: .value(Quantity(100))))
        let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))
        return HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "web", namespace: "shop"),
            spec: HorizontalPodAutoscalerSpec(scaleTargetRef: target, minReplicas: min, maxReplicas: max, metrics: [cpu, rps, queue], behavior: behavior))
    }

    static func served(rps: Result<Collected, MetricError>?, queue: Result<Collected, MetricError>?) -> [ServedMetric] {
        let key = MetricKey.external(ExternalMetricKey(namespace: "shop", metric: "queue", labels: [:]))
        return [
            ServedMetric(specIndex: 1, name: "rps", key: key, reading: rps, collectedAt: now.addingTimeInterval(-12)),
            ServedMetric(specIndex: 2, name: "queue", key: key, reading: queue, collectedAt: queue == nil ? nil : now.addingTimeInterval(-3)),
        ]
    }

    /// rps 210 over 4 replicas is 52.5 each against 40: 6; queue 150 against 100 on 4: 6 too,
    /// and the first of equals wins. With max 5 the bound is the limit.
    @Test func proposalsWinnerAndLimit() {
        let served = Self.served(rps: .success(.value(Quantity(210))), queue: .success(.value(Quantity(150))))
        let (metrics, summary) = MetricSignals.signals(hpa: Self.hpa(), served: served, currentReplicas: 4, now: Self.now)
        #expect(metrics.map(\.value) == [Quantity(milli: 52_500), Quantity(150)])
        #expect(metrics.map(\.proposal) == [6, 6])
        #expect(metrics.map(\.age) == [12, 3])
        #expect(summary == MetricSignals.HPA(namespace: "shop", hpa: "web", desired: 6, winner: "rps", wanted: 6, limit: nil))
        let capped = MetricSignals.signals(hpa: Self.hpa(max: 5), served: served, currentReplicas: 4, now: Self.now).1
        #expect(capped.desired == 5 && capped.limit == "maxReplicas")
        let disabled = HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(selectPolicy: "Disabled"), scaleDown: HPAScalingRules(selectPolicy: "Disabled"))
        let paused = MetricSignals.signals(hpa: Self.hpa(behavior: disabled), served: served, currentReplicas: 4, now: Self.now).1
        #expect(paused.desired == 4 && paused.limit == "paused")
    }

    /// The controller's order: nothing at 0, the bounds first when outside them, an unreadable
    /// metric holding a scale-down, then the bounds and a disabled direction.
    @Test(arguments: [
        (wanted: 3, current: 0, min: 1, max: 10, unreadable: false, disabled: "", desired: 0, limit: nil as String?),
        (5, 12, 1, 10, false, "", 10, nil),
        (5, 1, 2, 10, false, "", 2, nil),
        (2, 4, 1, 10, true, "", 4, "unreadableMetric"),
        (14, 4, 1, 10, false, "", 10, "maxReplicas"),
        (1, 4, 2, 10, false, "", 2, "minReplicas"),
        (6, 4, 1, 10, false, "both", 4, "paused"),
        (6, 1, 3, 3, false, "both", 3, nil),
        (6, 4, 1, 10, false, "up", 4, "scaleUpDisabled"),
        (2, 4, 1, 10, false, "up", 2, nil),
        (2, 4, 1, 10, false, "down", 4, "scaleDownDisabled"),
    ])
    func theOutcomeFollowsTheController(_ row: (wanted: Int32, current: Int32, min: Int32, max: Int32, unreadable: Bool, disabled: String, desired: Int32, limit: String?)) {
        let disabled = HPAScalingRules(selectPolicy: "Disabled")
        let behavior = HorizontalPodAutoscalerBehavior(
            scaleUp: row.disabled == "both" || row.disabled == "up" ? disabled : nil,
            scaleDown: row.disabled == "both" || row.disabled == "down" ? disabled : nil)
        let outcome = MetricSignals.outcome(wanted: row.wanted, current: row.current, minimum: row.min, maximum: row.max, someUnreadable: row.unreadable, behavior: behavior)
        #expect(outcome.desired == row.desired && outcome.limit == row.limit)
    }

    /// A failing metric proposes nothing and reads 0 on `readable`; none readable: no desired.
    @Test func aFailingMetricIsUnreadable() {
        let served = Self.served(rps: .failure(.noData), queue: nil)
        let (metrics, summary) = MetricSignals.signals(hpa: Self.hpa(), served: served, currentReplicas: 4, now: Self.now)
        #expect(metrics.allSatisfy { $0.value == nil && $0.proposal == nil })
        #expect(summary.desired == nil && summary.winner == nil)
        let text = MetricSignals.exposition(metrics, [summary])
        #expect(text.contains(#"hpa_operator_metric_readable{namespace="shop",hpa="web",metric="rps"} 0"#))
        #expect(!text.contains("hpa_operator_hpa_desired_replicas"))
    }

    @Test func theTextIsPrometheusExposition() {
        let served = Self.served(rps: .success(.value(Quantity(210))), queue: .success(.value(Quantity(150))))
        var (metrics, summary) = MetricSignals.signals(hpa: Self.hpa(max: 5), served: served, currentReplicas: 4, now: Self.now)
        metrics[1].metric = #"odd"name\"#
        let text = MetricSignals.exposition(metrics, [summary])
        #expect(text.hasPrefix("# HELP hpa_operator_metric_value "))
        #expect(text.contains("# TYPE hpa_operator_metric_value gauge\nhpa_operator_metric_value{namespace=\"shop\",hpa=\"web\",metric=\"rps\"} 52.5\n"))
        #expect(text.contains(#"hpa_operator_metric_value{namespace="shop",hpa="web",metric="odd\"name\\"} 150"#))
        #expect(text.contains(#"hpa_operator_metric_target{namespace="shop",hpa="web",metric="rps",type="AverageValue"} 40"#))
        #expect(text.contains(#"hpa_operator_metric_proposed_replicas{namespace="shop",hpa="web",metric="rps"} 6"#))
        #expect(text.contains(#"hpa_operator_hpa_desired_replicas{namespace="shop",hpa="web"} 5"#))
        #expect(text.contains(#"hpa_operator_hpa_winning_metric{namespace="shop",hpa="web",metric="rps"} 1"#))
        #expect(text.contains(#"hpa_operator_hpa_limited{namespace="shop",hpa="web",limit="maxReplicas"} 1"#))
        // Every family named is one the dashboard may use, and no other.
        let families = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        #expect(families == Set(MetricSignals.Names.all))
    }

    /// The dashboard in the chart loads as Grafana dashboard JSON and names only series we export.
    @Test func theDashboardNamesOnlySeriesWeExport() throws {
        let url = CLI.packageRoot.appendingPathComponent("config/helm/hpa-operator/dashboards/hpa-operator.json")
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        #expect(dashboard["uid"] as? String == "hpa-operator" && dashboard["schemaVersion"] as? Int != nil)
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions =
            panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
            + ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []).compactMap { $0["query"] as? String }
        #expect(panels.allSatisfy { ($0["targets"] as? [[String: Any]])?.isEmpty == false && $0["gridPos"] != nil && $0["title"] != nil })
        // What a scrape of a fresh process shows, and the signals.
        let registry = OperatorMetrics()
        _ = CollectorMetrics(registry: registry.registry)
        let exported = Set(registry.text().split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
            .union(MetricSignals.Names.all)
        let named = Set(
            expressions.flatMap { expression in
                expression.matches(of: /hpa_operator_[a-z_]+/).map { String($0.output) }
            })
        #expect(!named.isEmpty && named.isSubset(of: exported), "not exported: \(named.subtracting(exported).sorted())")
        #expect(Set(MetricSignals.Names.all).isSubset(of: named), "signals the dashboard does not show: \(Set(MetricSignals.Names.all).subtracting(named).sorted())")
    }
}

/// Events from the signals: a change of winner (rate-limited), and a limit that held a change
/// back for the window (once per episode).
@Suite struct SignalEventsTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)
    static let key = ObjectKey(namespace: "shop", name: "web")

    static func hpa(winner: String?, limit: String? = nil, wanted: Int32 = 10) -> MetricSignals.HPA {
        MetricSignals.HPA(namespace: "shop", hpa: "web", desired: 10, winner: winner, wanted: wanted, limit: limit)
    }

    static func metrics(rps: Int32, queue: Int32) -> [MetricSignals.Metric] {
        [
            MetricSignals.Metric(namespace: "shop", hpa: "web", metric: "rps", targetType: "Value", proposal: rps),
            MetricSignals.Metric(namespace: "shop", hpa: "web", metric: "queue", targetType: "Value", proposal: queue),
        ]
    }

    @Test func aNewWinnerIsSaidAtMostOncePerInterval() {
        var events = SignalEvents()
        let at = { (seconds: Double) in Self.start.addingTimeInterval(seconds) }
        #expect(events.observe([Self.hpa(winner: "rps")], metrics: Self.metrics(rps: 6, queue: 4), maxReplicas: [:], now: at(0)).isEmpty)
        let changed = events.observe([Self.hpa(winner: "queue")], metrics: Self.metrics(rps: 6, queue: 8), maxReplicas: [:], now: at(30))
        #expect(changed == [SignalEvents.Said(hpa: Self.key, kind: .normal, reason: "MetricWinnerChanged", message: "Metric queue now decides the replicas (proposes 8); before, rps did")])
        // Flapping back within five minutes: not said again.
        #expect(events.observe([Self.hpa(winner: "rps")], metrics: Self.metrics(rps: 9, queue: 8), maxReplicas: [:], now: at(60)).isEmpty)
        #expect(events.observe([Self.hpa(winner: "queue")], metrics: Self.metrics(rps: 6, queue: 8), maxReplicas: [:], now: at(400)).map(\.reason) == ["MetricWinnerChanged"])
    }

    @Test func aCeilingHeldForTheWindowIsSaidOncePerEpisode() {
        var events = SignalEvents()
        let at = { (seconds: Double) in Self.start.addingTimeInterval(seconds) }
        let capped = [Self.hpa(winner: "rps", limit: "maxReplicas", wanted: 14)]
        let metrics = Self.metrics(rps: 14, queue: 3)
        #expect(events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(0)).isEmpty)
        #expect(events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(899)).isEmpty)
        #expect(
            events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(900)) == [
                SignalEvents.Said(hpa: Self.key, kind: .warning, reason: "ScaleLimitedByMax", message: "The metrics ask for 14 replicas, maxReplicas 10, held by maxReplicas for 15m")
            ])
        #expect(events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(2000)).isEmpty)
        // The episode ends; a new one is said after its own window.
        #expect(events.observe([Self.hpa(winner: "rps")], metrics: metrics, maxReplicas: [Self.key: 10], now: at(2030)).isEmpty)
        #expect(events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(2060)).isEmpty)
        #expect(events.observe(capped, metrics: metrics, maxReplicas: [Self.key: 10], now: at(2960)).map(\.reason) == ["ScaleLimitedByMax"])
        #expect(SignalEvents.reason("scaleUpDisabled") == "ScaleLimitedByScaleUpDisabled")
        // A limit holding a scale-down (a floor at night) is not worth a warning.
        var floor = SignalEvents()
        let resting = [MetricSignals.HPA(namespace: "shop", hpa: "web", desired: 2, winner: "rps", wanted: 1, limit: "minReplicas")]
        #expect(floor.observe(resting, metrics: metrics, maxReplicas: [:], now: at(0)).isEmpty)
        #expect(floor.observe(resting, metrics: metrics, maxReplicas: [:], now: at(3600)).isEmpty)
    }
}
