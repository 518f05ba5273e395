import ArgumentParser
import Autoscaling
import Collector
import Foundation
import HPASimulation
import KubeModel

struct Backtest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What would these annotations have done over a past window? Replicas over time, from Prometheus's history.",
        discussion: """
            For each annotated workload, every prometheus metric's query is read with query_range over the window (in chunks under Prometheus's 11,000 points), and the HPA controller is simulated at every step: each metric's proposal as the controller computes it (the HPA's tolerance, else 0.1; Value and AverageValue), the largest within the bounds, then behavior as the controller applies it (stabilization windows, Pods and Percent policies, selectPolicy; without behavior, the controller's 300 s scale-down window and max(2×, 4) scale-up). With minReplicas 0, the operator's scale to zero and back. Missing data is a gap: the controller holds, and the output says where and how long. cpu and memory have no history here and are left out (said on stderr).

            Per workload: replicas min/mean/max, scale-ups and -downs, time at maxReplicas, time short of capacity (a metric asking for more than there were), replica-hours. -o json adds every step.

            Example: hpa-operator backtest -f deploy/ --prometheus-server http://localhost:9090 --last 24h
            """
    )

    @Option(name: [.customShort("f"), .customLong("filename")], help: ArgumentHelp("A manifest file, a directory of them, or - for standard input. Repeatable.", valueName: "file|dir|-"))
    var files: [String]

    @OptionGroup var prometheus: PrometheusOptions

    @OptionGroup(title: "Tenancy")
    var enforcement: NamespaceEnforcementOptions

    @Option(help: ArgumentHelp("Start of the window (RFC 3339 or Unix seconds); with --to.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("End of the window (RFC 3339 or Unix seconds); with --from.", valueName: "time"))
    var to: String?

    @Option(help: "The window ending now (default 1h), instead of --from/--to.")
    var last: GoDuration?

    @Option(help: "One simulated HPA sync per step (the controller's default period is 15s).")
    var step = GoDuration(.seconds(15))

    @Option(help: "Replicas at the start of the window (default: the manifest's spec.replicas, within the bounds).")
    var startReplicas: Int32?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text (a table; `table` means the same) or json (with every step).")
    var output: OutputFormat = .text

    @Option(help: "How long each range query may take.")
    var queryTimeout = GoDuration(.seconds(30))

    @Option(help: ArgumentHelp("Simulate the same window with these manifests' annotations too (a proposed change), side by side.", valueName: "file|dir"))
    var compare: String?

    @Option(help: ArgumentHelp("Also draw the result: one panel per workload, the metric against its target above the replicas.", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        try OutputFormat.check(output, among: [.text, .json])
        if files.isEmpty { throw ValidationError("give at least one -f FILE|DIR|-") }
        if (from == nil) != (to == nil) { throw ValidationError("--from and --to go together") }
        if from != nil, last != nil { throw ValidationError("give --from/--to or --last, not both") }
        for (flag, text) in [("--from", from), ("--to", to)] {
            if let text, Query.instant(text) == nil { throw ValidationError("\(flag): '\(text)' is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds") }
        }
        if let from, let to, let start = Query.instant(from), let end = Query.instant(to), end <= start { throw ValidationError("--to must be after --from") }
        if step.duration < .seconds(1) { throw ValidationError("--step must be at least 1s") }
        if let startReplicas, startReplicas < 0 { throw ValidationError("--start-replicas must not be negative") }
    }

    /// One workload's result.
    struct Report: Encodable {
        var namespace: String
        var name: String
        var from: String
        var to: String
        var stepSeconds: Double
        var summary: HPASimulation.Backtest.Summary
        var steps: [HPASimulation.Backtest.Step]
        /// Why a metric could not be read at all.
        var errors: [String]
        /// The same window with the --compare annotations.
        var comparison: Comparison?
    }

    struct Comparison: Encodable {
        var summary: HPASimulation.Backtest.Summary
        var steps: [HPASimulation.Backtest.Step]
        var errors: [String]
    }

    /// The window, its step times, and the series read so far (a query shared by both sides is read once).
    final class Window {
        let start: Date, end: Date, step: Duration
        let times: [Double]
        var read: [String: Result<[Double: Double], BacktestError>] = [:]
        init(start: Date, end: Date, step: Duration) {
            (self.start, self.end, self.step) = (start, end, step)
            times = stride(from: start.timeIntervalSince1970, through: end.timeIntervalSince1970, by: step.seconds).map(Backtest.key)
        }
    }

    func run() async throws {
        let end = to.flatMap(Query.instant) ?? Date()
        let start = from.flatMap(Query.instant) ?? end.addingTimeInterval(-(last?.duration ?? .seconds(3600)).seconds)
        let window = Window(start: start, end: end, step: step.duration)
        let servers = try prometheus.servers()
        var failed = false
        var reports: [Report] = []
        var panels: [BacktestPlot.Panel] = []
        let proposed = compare.map { Self.specs(ManifestReader.read([$0]), failed: &failed) } ?? [:]
        for (workload, spec) in Self.specs(ManifestReader.read(files), failed: &failed).values.sorted(by: { $0.workload.metadata.qualifiedName < $1.workload.metadata.qualifiedName }) {
            let name = workload.metadata.qualifiedName
            for resource in spec.resourceMetrics { printError("note: \(name): \(resource.name) has no history here; left out of the simulation") }
            let first = startReplicas ?? min(max(workload.replicas, spec.minReplicas), spec.maxReplicas)
            let (simulated, steps, summary, errors) = await simulate(spec, workload: workload, window: window, servers: servers, startReplicas: first)
            var comparison: Comparison?
            var compared: [HPASimulation.Backtest.Step]?
            if let other = proposed[name]?.spec {
                let (_, otherSteps, otherSummary, otherErrors) = await simulate(other, workload: workload, window: window, servers: servers, startReplicas: first)
                comparison = Comparison(summary: otherSummary, steps: otherSteps, errors: otherErrors)
                compared = otherSteps
            } else if compare != nil {
                printError("note: \(name): not in --compare; simulated alone")
            }
            panels.append(BacktestPlot.Panel(title: name, steps: steps, metrics: simulated.metrics, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas, comparison: compared))
            reports.append(
                Report(
                    namespace: workload.metadata.namespace ?? "default", name: workload.metadata.name ?? "", from: Timestamp.rfc3339(start),
                    to: Timestamp.rfc3339(end), stepSeconds: window.step.seconds, summary: summary, steps: steps, errors: errors, comparison: comparison))
        }
        if let plot {
            do { try BacktestPlot.svg(panels).write(toFile: plot, atomically: true, encoding: .utf8) } catch {
                printError("error: --plot: cannot write \(plot): \(error.localizedDescription)")
                failed = true
            }
        }
        switch output {
        case .text, .yaml:
            print(Self.table(reports), terminator: "")
            let notes = reports.flatMap { report in
                (report.errors + (report.comparison?.errors ?? []).map { "(compare) \($0)" }).map { "\(report.name): \($0)" }
                    + report.summary.gaps.map {
                        "\(report.name): \($0.metric): no data from \(Timestamp.rfc3339(Date(timeIntervalSince1970: $0.from))) for \(Activation.durationText(.seconds($0.seconds))) (the controller holds)"
                    }
            }
            if !notes.isEmpty { print("\n" + notes.map { ExternalText.sanitized($0, limit: 1_000) }.joined(separator: "\n")) }
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }

    /// The annotated workloads with prometheus metrics, by `namespace/name`; problems are printed.
    static func specs(_ items: [ManifestItem], failed: inout Bool) -> [String: (workload: Workload, spec: AutoscalingSpec)] {
        var found: [String: (workload: Workload, spec: AutoscalingSpec)] = [:]
        for item in items {
            guard case .workload(let workload, _) = item else {
                if case .failed(let message) = item {
                    printError("error: \(message)")
                    failed = true
                }
                continue
            }
            let name = workload.metadata.qualifiedName
            switch workload.reading {
            case .unannotated: continue
            case .invalid(let problems):
                for problem in problems { printError(problem.isError ? "\(name): \(problem)" : "warning: \(name): \(problem)") }
                failed = true
            case .valid(let spec, _) where spec.prometheusMetrics.isEmpty:
                printError("note: \(name): no prometheus metrics, nothing to backtest (cpu and memory have no history here)")
            case .valid(let spec, _):
                found[name] = (workload, spec)
            }
        }
        return found
    }

    /// One side's simulation: its metrics read over the window (once per query), then the controller.
    private func simulate(
        _ spec: AutoscalingSpec, workload: Workload, window: Window, servers: PrometheusServers, startReplicas: Int32
    ) async
        -> (HPASimulation.Backtest.Workload, [HPASimulation.Backtest.Step], HPASimulation.Backtest.Summary, [String])
    {
        var errors: [String] = []
        var metrics: [HPASimulation.Backtest.Metric] = []
        for metric in spec.prometheusMetrics {
            let target: HPASimulation.Backtest.Metric.Target =
                switch metric.target {
                case .value(let quantity): .value(quantity)
                case .averageValue(let quantity): .averageValue(quantity)
                }
            let namespace = workload.metadata.namespace ?? "default"
            let key = "\(metric.server ?? "")\u{0}\(namespace)\u{0}\(metric.query)"
            if window.read[key] == nil { window.read[key] = await values(of: metric, namespace: namespace, servers: servers, start: window.start, end: window.end) }
            var values: [Double: Double] = [:]
            switch window.read[key]! {
            case .success(let read): values = read
            case .failure(let error): errors.append("\(metric.name): \(error)")
            }
            metrics.append(.init(name: metric.name, target: target, activationThreshold: metric.activationThreshold, values: values))
        }
        let stored = HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: workload.kind, name: workload.metadata.name ?? ""),
            minReplicas: max(spec.minReplicas, 1), maxReplicas: spec.maxReplicas, behavior: spec.behavior
        ).defaulted
        let simulated = HPASimulation.Backtest.Workload(
            metrics: metrics, minReplicas: spec.minReplicas, maxReplicas: spec.maxReplicas,
            behavior: stored.behavior, scaleToZero: spec.scaleToZero)
        let (steps, summary) = HPASimulation.Backtest.run(simulated, times: window.times, step: window.step.seconds, startReplicas: startReplicas)
        return (simulated, steps, summary, errors)
    }

    /// Step times as keys, to the millisecond (Prometheus answers at start + k × step).
    static func key(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }

    /// The query's values over the window, by step time: one series, fail closed on more; NaN and
    /// infinities are gaps like missing points.
    /// The query runs as the collector would run it for the workload's namespace (enforced, with its tenant).
    private func values(of metric: PrometheusMetric, namespace: String, servers: PrometheusServers, start: Date, end: Date) async -> Result<[Double: Double], BacktestError> {
        let server: PrometheusServer
        switch servers.resolve(metric.server) {
        case .success(let resolved): server = resolved.forNamespace(namespace)
        case .failure(let reason): return .failure(BacktestError(description: reason.description))
        }
        let query: String
        switch MetricPlanner.checked(metric.query, namespace: namespace, enforcement: enforcement.enforcement) {
        case .success(let sent): query = sent
        case .failure(let reason): return .failure(BacktestError(description: reason.description))
        }
        let client = PrometheusClient(server: server)
        var values: [Double: Double] = [:]
        for chunk in RangeChunks.split(from: start.timeIntervalSince1970, to: end.timeIntervalSince1970, step: step.duration.seconds) {
            let response: QueryResponse
            do throws(PrometheusError) {
                response = try await client.queryRange(
                    query, start: Date(timeIntervalSince1970: chunk.start), end: Date(timeIntervalSince1970: chunk.end),
                    step: step.duration, timeout: queryTimeout.duration)
            } catch {
                return .failure(BacktestError(description: error.description))
            }
            guard case .matrix(let series) = response.result else { return .failure(BacktestError(description: "the range query did not answer a matrix")) }
            guard series.count <= 1 else { return .failure(BacktestError(description: MetricError.tooManySeries(series.count).description)) }
            for point in series.first?.points ?? [] {
                if let value = Double(point.value), value.isFinite { values[Self.key(point.time)] = value }
            }
        }
        return .success(values)
    }

    static func table(_ reports: [Report]) -> String {
        let header = ["NAME", "STEPS", "REPLICAS (MIN/MEAN/MAX)", "SCALE-UPS", "SCALE-DOWNS", "AT MAX", "SHORT", "REPLICA-HOURS", "GAPS"]
        func row(_ name: String, _ steps: Int, _ summary: HPASimulation.Backtest.Summary) -> [String] {
            [
                ExternalText.sanitized(name, limit: 200), "\(steps)",
                "\(summary.minReplicas)/\(String(format: "%.1f", summary.meanReplicas))/\(summary.maxReplicas)", "\(summary.scaleUps)", "\(summary.scaleDowns)",
                Activation.durationText(.seconds(summary.secondsAtMax)), Activation.durationText(.seconds(summary.secondsShort)),
                String(format: "%.2f", summary.replicaHours), "\(summary.gaps.count)",
            ]
        }
        let rows = reports.flatMap { report in
            [row(report.name, report.steps.count, report.summary)]
                + (report.comparison.map { [row("\(report.name) (compare)", $0.steps.count, $0.summary)] } ?? [])
        }
        return KubectlTable.format([header] + rows)
    }
}

struct BacktestError: Error, CustomStringConvertible {
    var description: String
}
