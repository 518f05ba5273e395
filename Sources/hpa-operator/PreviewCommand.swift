import ArgumentParser
import Autoscaling
import Collector
import Foundation
import HPASimulation
import KubeModel

struct Preview: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what `kubectl get hpa` will show for annotated workloads, with today's metrics, before deploying.",
        discussion: """
            Renders each annotated Deployment's and StatefulSet's HPA, runs its queries once through the collector's own code (the same fail-closed reading of results), and applies the HPA controller's arithmetic: the HPA's tolerance (behavior.scaleUp/scaleDown.tolerance, else 0.1), the largest proposal over the metrics, clamped to the replica bounds. REPLICAS is the manifest's spec.replicas (default 1); DESIRED is what the controller would ask for next, before the rate limits of `behavior`.

            Below the table, one line per metric that could not be read, with the collector's error. cpu and memory come from metrics-server in a cluster and show <unknown> here.

            Annotation problems are printed on stderr and the exit code is 1.

            Example: hpa-operator preview -f deploy/ --prometheus-server http://localhost:9090 --time 2024-05-01T12:00:00Z
            """
    )

    @Option(
        name: [.customShort("f"), .customLong("filename")],
        help: ArgumentHelp(
            "A manifest file, a directory of them, or - for standard input. Repeatable.", valueName: "file|dir|-"))
    var files: [String]

    @OptionGroup var prometheus: PrometheusOptions

    @OptionGroup var alertmanager: AlertmanagerOptions

    @OptionGroup(title: "Tenancy")
    var enforcement: NamespaceEnforcementOptions

    @Option(help: ArgumentHelp("Evaluate every query at this instant (RFC 3339 or Unix seconds) instead of now, for reproducible output.", valueName: "time"))
    var time: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text (a table as kubectl prints HPAs; `table` means the same) or json.")
    var output: OutputFormat = .text

    @Option(help: "How prometheus metrics appear in the HPA: object, pod or external.")
    var metricStyle: MetricStyle = .object

    @Option(help: "How long each query may take.")
    var queryTimeout = GoDuration(.seconds(10))

    func validate() throws {
        try OutputFormat.check(output, among: [.text, .json])
        if files.isEmpty { throw ValidationError("give at least one -f FILE|DIR|-") }
        if let time, Query.instant(time) == nil { throw ValidationError("--time: '\(time)' is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds of a date between the years 1 and 9999") }
    }

    func run() async throws {
        var failed = false
        var workloads: [(hpa: HorizontalPodAutoscaler, replicas: Int32, thresholds: [String: Quantity]?, hold: Hold?)] = []
        for item in ManifestReader.read(files) {
            switch item {
            case .skipped:
                break
            case .failed(let message):
                printError("error: \(message)")
                failed = true
            case .workload(let workload, _):
                let name = workload.metadata.qualifiedName
                switch workload.desiredHPA(style: metricStyle) {
                case .none:
                    break
                case .invalid(let problems):
                    for problem in problems { printError(problem.isError ? "\(name): \(problem)" : "warning: \(name): \(problem)") }
                    failed = true
                case .hpa(let hpa, let warnings):
                    for warning in warnings { printError("warning: \(name): \(warning)") }
                    workloads.append((hpa, workload.replicas, workload.scaleToZero?.thresholds, workload.hold))
                }
            }
        }
        let instant = time.flatMap(Query.instant)
        var replicas: [ScaleTarget: Int] = [:]
        for (hpa, count, _, _) in workloads {
            let target = hpa.spec.scaleTargetRef
            replicas[ScaleTarget(namespace: hpa.metadata.namespace ?? "default", kind: target.kind, name: target.name, apiVersion: target.apiVersion)] = Int(count)
        }
        let known = replicas
        var alerts: Result<[ReceivedAlert], AlertmanagerPayload.Problem>?
        if let url = alertmanager.alertmanagerUrl {
            alerts = await AlertmanagerSync.list(url, using: AlertmanagerSync.client(maximumListSize: alertmanager.alertmanagerMaxListSize.bytes), timeout: queryTimeout.duration)
            if case .failure(let problem) = alerts {
                printError("error: alertmanager metrics cannot be read: \(problem)")
                failed = true
            }
        }
        let collection = OneShotCollection(
            servers: try prometheus.servers(), settings: CollectionSettings(queryTimeout: queryTimeout.duration, enforcement: enforcement.enforcement),
            replicas: { target in known[target] ?? 1 }, alerts: alerts)
        let (plans, store) = await collection.collect(workloads.map(\.hpa), at: instant)
        var rows: [PreviewRow] = []
        for (hpa, current, thresholds, hold) in workloads {
            let plan = plans[hpa.metadata.key] ?? MetricPlan(metrics: [], problems: [])
            var readings: [Int: Result<Collected, MetricError>] = [:]
            var raw: [String: Result<Quantity, MetricError>] = [:]
            let sources = plan.metrics.map { ($0.specIndex, $0.key, $0.name) } + plan.alerts.map { ($0.specIndex, $0.key, $0.name) }
            for (specIndex, key, name) in sources {
                readings[specIndex] = store.reading(key, now: instant ?? Date())
                raw[name] = store.rawReading(key, now: instant ?? Date())
            }
            var row = PreviewRow(hpa: hpa, replicas: current, plan: plan, readings: readings, showQueries: enforcement.enforcement != nil)
            if let thresholds { row.applyActivation(thresholds: thresholds, raw: raw) }
            if let hold { row.apply(hold) }
            rows.append(row)
        }
        switch output {
        case .text where rows.isEmpty:
            break
        case .text, .yaml:
            print(PreviewRow.table(rows), terminator: "")
            let notes = rows.flatMap { row in row.notes.map { ExternalText.sanitized("\(row.name): \($0)", limit: 1_000) } }
            if !notes.isEmpty { print("\n" + notes.joined(separator: "\n")) }
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }
}

/// One line of the preview: an HPA, what its metrics read, and the replicas the controller would want.
struct PreviewRow: Encodable {
    struct Metric: Encodable {
        var name: String
        var current: String?
        var target: String
        var error: String?
        /// The query as sent, with --enforce-namespace-label.
        var query: String?
        /// With minReplicas 0: `active`, `inactive` or `unknown`, against the threshold.
        var activation: String?
    }

    var namespace: String
    var name: String
    var reference: String
    var targets: String
    var minPods: Int32
    var maxPods: Int32
    var replicas: Int32
    var desired: Int32
    var metrics: [Metric]
    /// Lines printed under the table: unreadable metrics and why.
    var notes: [String]
    /// What the replica calculator compared, by metric (not printed).
    private var calculatorReadings: [ReplicaCalculator.Reading] = []
    /// The HPA's tolerances (its `behavior`'s, else the controller's 0.1).
    private var tolerance = ReplicaCalculator.Tolerance.controllerDefault

    private enum CodingKeys: String, CodingKey {
        case namespace, name, reference, targets, minPods, maxPods, replicas, desired, metrics, notes
    }

    /// - Parameter showQueries: name each query as sent (they were rewritten to stay in their namespace).
    init(hpa: HorizontalPodAutoscaler, replicas: Int32, plan: MetricPlan, readings: [Int: Result<Collected, MetricError>], showQueries: Bool = false) {
        namespace = hpa.metadata.namespace ?? "default"
        name = hpa.metadata.name ?? ""
        reference = "\(hpa.spec.scaleTargetRef.kind)/\(hpa.spec.scaleTargetRef.name)"
        minPods = hpa.spec.minReplicas ?? 1
        maxPods = hpa.spec.maxReplicas
        self.replicas = replicas
        notes = plan.problems.map(\.description)
        let specs = hpa.spec.metrics ?? []
        var currents: [Quantity?] = []
        var calculator: [ReplicaCalculator.Reading] = []
        metrics = []
        for (index, spec) in specs.enumerated() {
            let (label, target) = Self.describe(spec)
            var current: Quantity?
            var reading = ReplicaCalculator.Reading.unknown
            var error: String?
            switch (spec.type, readings[index]) {
            case (.resource, _), (.containerResource, _):
                error = "resource metrics come from metrics-server in a cluster; not previewed"
            case (_, nil):
                // Its config has a problem, already listed.
                if plan.problems.isEmpty { error = "not collected: no metric-config annotation names it" }
            case (_, .failure(let failure)?):
                error = failure.description
            case (_, .success(let collected)?):
                (current, reading) = MetricSignals.reading(spec, collected, replicas: replicas)
            }
            let query = showQueries ? plan.metrics.first(where: { $0.specIndex == index })?.query : nil
            if let query { notes.append("\(label): query: \(query)") }
            if let error { notes.append("\(label): \(error)") }
            currents.append(current)
            calculator.append(reading)
            metrics.append(Metric(name: label, current: current?.description, target: target, error: error, query: query))
        }
        targets = HPATargets.format(specs, current: currents)
        calculatorReadings = calculator
        tolerance = ReplicaCalculator.Tolerance(hpa.spec.behavior)
        desired = ReplicaCalculator.desiredReplicas(calculator, current: replicas, min: minPods, max: maxPods, tolerance: tolerance)
    }

    /// A pause keeps the replicas (or sets paused-replicas); a frozen direction keeps them where
    /// the metrics would move them that way.
    mutating func apply(_ hold: Hold) {
        let wanted = desired
        if let held = hold.replicas {
            desired = held
        } else if hold.paused || (hold.scaleUpDisabled && wanted > replicas) || (hold.scaleDownDisabled && wanted < replicas) {
            desired = replicas
        }
        let change = wanted == desired ? "" : " (the metrics alone would ask for \(wanted))"
        notes.append("autoscaling is held: \(hold.description ?? "")\(change)")
    }

    /// minReplicas 0: every threshold undershot means the operator would set 0 (after its
    /// cooldown); one exceeded at 0 means it would set 1 and the HPA would go on from there. A
    /// metric that cannot be read decides nothing, as in the operator.
    mutating func applyActivation(thresholds: [String: Quantity], raw: [String: Result<Quantity, MetricError>]) {
        let observations = thresholds.sorted { $0.key < $1.key }.map { name, threshold in
            let reading: Activation.Observation.Reading =
                switch raw[name] {
                case .success(let value)?: .value(value)
                case .failure(let error)?: .failed(error.description)
                case nil: .failed("not collected")
                }
            return Activation.Observation(metric: name, threshold: threshold, reading: reading)
        }
        for observation in observations {
            guard let index = metrics.firstIndex(where: { $0.name == observation.metric }) else { continue }
            switch observation.reading {
            case .value(let value) where observation.isActive:
                metrics[index].activation = "active"
                notes.append("\(observation.metric): active (\(value) > threshold \(observation.threshold))")
            case .value(let value):
                metrics[index].activation = "inactive"
                notes.append("\(observation.metric): inactive (\(value) ≤ threshold \(observation.threshold))")
            case .failed(let reason):
                metrics[index].activation = "unknown"
                notes.append("\(observation.metric): activation unknown: \(reason)")
            }
        }
        if !observations.isEmpty && observations.allSatisfy(\.isInactive) {
            desired = 0
            notes.append("every activation threshold undershot: the operator scales to 0 after the cooldown")
        } else if replicas == 0, observations.contains(where: \.isActive) {
            desired = ReplicaCalculator.desiredReplicas(calculatorReadings, current: 1, min: minPods, max: maxPods, tolerance: tolerance)
            notes.append("a threshold is exceeded: the operator scales to 1 and the HPA to \(desired)")
        }
    }

    /// The value kubectl would show and what the calculator compares, for one collected metric.
    /// The metric's name as users wrote it (Banzai's external form by its query name) and its target.
    private static func describe(_ spec: MetricSpec) -> (String, String) {
        func text(_ target: MetricTarget) -> String {
            target.averageValue.map { "\($0) (avg)" } ?? target.value?.description ?? target.averageUtilization.map { "\($0)%" } ?? "<unknown>"
        }
        if let object = spec.object { return (object.metric.name, text(object.target)) }
        if let pods = spec.pods { return (pods.metric.name, text(pods.target)) }
        if let external = spec.external {
            let name =
                external.metric.name == ExternalQuery.metricName
                ? external.metric.selector?.matchLabels?[ExternalQuery.selectorLabel] ?? external.metric.name : external.metric.name
            return (name, text(external.target))
        }
        if let resource = spec.resource { return (resource.name, text(resource.target)) }
        if let container = spec.containerResource { return (container.name, text(container.target)) }
        return (spec.type.rawValue, "<unknown>")
    }

    /// kubectl's layout: columns left-aligned, three spaces apart.
    static func table(_ rows: [PreviewRow]) -> String {
        let header = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "DESIRED"]
        // Names come from manifests no apiserver validated: printable and bounded, like messages.
        let cells = [header] + rows.map { [$0.name, $0.reference, $0.targets].map { ExternalText.sanitized($0, limit: 500) } + ["\($0.minPods)", "\($0.maxPods)", "\($0.replicas)", "\($0.desired)"] }
        return KubectlTable.format(cells)
    }
}
