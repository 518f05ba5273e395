import KubeModel
import PromQL

/// What a workload's annotations amount to.
public enum AnnotationReading: Hashable, Sendable {
    /// None of our keys: the workload is not autoscaled by us.
    case unannotated
    case valid(AutoscalingSpec, warnings: [AnnotationProblem])
    /// At least one error; warnings are listed too. Ordered by key.
    case invalid([AnnotationProblem])
}

/// Turns Banzai-style annotations into an `AutoscalingSpec` (README, "Annotating a workload"), reporting every problem at once.
public enum AnnotationParser {
    /// Our annotations are read from `metadata.annotations`; only when none of our keys is there,
    /// from the pod template's (never merged).
    public static func annotations(metadata: [String: String]?, template: [String: String]?) -> [String: String] {
        if let metadata, metadata.keys.contains(where: AnnotationKeys.isOurs) { return metadata }
        return template ?? [:]
    }

    /// A workload's annotations, read from where they are; a container they name is looked for
    /// in its pod template.
    public static func parse<Kind>(_ workload: AppsWorkload<Kind>) -> AnnotationReading {
        parse(
            annotations(metadata: workload.metadata.annotations, template: workload.spec?.template?.metadata?.annotations),
            containers: workload.spec?.template?.spec?.runningContainerNames)
    }

    /// - Parameter containers: the pod template's container names, when known.
    public static func parse(_ annotations: [String: String], containers: [String]? = nil) -> AnnotationReading {
        var reader = Reader(containers: containers)
        reader.collect(annotations)
        guard reader.sawOurKey else { return .unannotated }
        // A value too long to read says so alone, instead of also being "missing".
        if reader.tooLong { return .invalid(reader.problems.sortedByKey()) }
        let spec = reader.spec()
        let problems = reader.problems.sortedByKey()
        if let spec, !problems.contains(where: \.isError) {
            return .valid(spec, warnings: problems)
        }
        return .invalid(problems)
    }
}

/// One pass over the annotations: sorts our keys into groups, then checks each group.
private struct Reader {
    /// The pod template's container names, when known.
    let containers: [String]?
    var problems: [AnnotationProblem] = []
    var sawOurKey = false
    var tooLong = false
    var global: [String: String] = [:]
    var resources: [String: [AnnotationKeys.ResourceField: String]] = [:]
    var prometheus: [String: [AnnotationKeys.PrometheusField: String]] = [:]
    var alertmanager: [String: [AnnotationKeys.AlertmanagerField: String]] = [:]

    /// The longest value each of our keys may have: a query can be long, a behavior a little, the
    /// rest are numbers, durations and names. A longer value is refused unread (it is never echoed).
    static func maximumLength(of key: String) -> Int {
        if key.hasSuffix("/query") { return 16_384 }
        if key == AnnotationKeys.behavior || key.hasSuffix("/matchLabels") { return 4_096 }
        return 256
    }

    mutating func collect(_ annotations: [String: String]) {
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            let meaning = AnnotationKeys.meaning(of: key)
            if case .foreign = meaning { continue }
            if value.utf8.count > Self.maximumLength(of: key) {
                sawOurKey = true
                tooLong = true
                problems.append(.error(key, "is \(value.utf8.count) bytes long, more than the \(Self.maximumLength(of: key)) such a value may have; it is not read"))
                continue
            }
            switch meaning {
            case .foreign:
                continue
            case .unknown:
                sawOurKey = true
                ignore(key)
            case .legacyPod(let metric, _):
                sawOurKey = true
                problems.append(
                    .warning(
                        key,
                        "is Banzai 0.1.4's form of a pods metric served by another adapter, which hpa-operator does not read; ignored: write \(AnnotationKeys.prometheus(metric, .query)) with a query summing the metric over the workload's pods, and \(AnnotationKeys.prometheus(metric, .targetAverageValue)) with the target per pod"
                    ))
            case .global:
                sawOurKey = true
                if AnnotationKeys.globalKeys.contains(key) { global[key] = value } else { ignore(key) }
            case .resource(let name, let field):
                sawOurKey = true
                guard AnnotationKeys.resourceNames.contains(name), let field = AnnotationKeys.ResourceField(rawValue: field) else {
                    ignore(key)
                    continue
                }
                resources[name, default: [:]][field] = value
            case .prometheus(let metric, let field):
                sawOurKey = true
                guard let field = AnnotationKeys.PrometheusField(rawValue: field) else {
                    ignore(key)
                    continue
                }
                prometheus[metric, default: [:]][field] = value
            case .alertmanager(let metric, let field):
                sawOurKey = true
                guard let field = AnnotationKeys.AlertmanagerField(rawValue: field) else {
                    ignore(key)
                    continue
                }
                alertmanager[metric, default: [:]][field] = value
            }
        }
    }

    mutating func ignore(_ key: String) {
        problems.append(.warning(key, "is not a known \(AnnotationKeys.domain) annotation; ignored"))
    }

    mutating func spec() -> AutoscalingSpec? {
        let minReplicas = replicaCount(AnnotationKeys.minReplicas, role: "the fewest replicas", zeroAllowed: true)
        let maxReplicas = replicaCount(AnnotationKeys.maxReplicas, role: "the most replicas")
        if let minReplicas, let maxReplicas, minReplicas > maxReplicas {
            problems.append(.error(AnnotationKeys.maxReplicas, "must be at least minReplicas (\(minReplicas)), got \(maxReplicas)"))
        }
        let resourceMetrics = AnnotationKeys.resourceNames.compactMap { name in resources[name].flatMap { resourceMetric(name, $0) } }
        var prometheusMetrics = prometheus.keys.sorted().compactMap { name in prometheusMetric(name, prometheus[name]!) }
        let alertMetrics = alertmanager.keys.sorted().compactMap { name in alertMetric(name, alertmanager[name]!) }
        if resources.isEmpty && prometheus.isEmpty && alertmanager.isEmpty {
            problems.append(.error(AnnotationKeys.domain, "no metrics configured: add a cpu, memory, prometheus.<metric> or alertmanager.<metric> target; no HPA is created"))
        }
        for name in Set(prometheus.keys).intersection(alertmanager.keys).sorted() {
            problems.append(.error(AnnotationKeys.alertmanager(name, .alertname), "the metric name '\(name)' is also a prometheus metric of this workload: give one of them another name"))
        }
        let behavior = self.behavior()
        let scaleToZero = self.scaleToZero(minReplicas: minReplicas, metrics: &prometheusMetrics)
        let fallback = self.fallback(minReplicas: minReplicas, maxReplicas: maxReplicas)
        let hold = self.hold()
        guard let minReplicas, let maxReplicas else { return nil }
        return AutoscalingSpec(
            minReplicas: minReplicas, maxReplicas: maxReplicas, resourceMetrics: resourceMetrics,
            prometheusMetrics: prometheusMetrics, alertMetrics: alertMetrics, behavior: behavior, scaleToZero: scaleToZero, fallback: fallback,
            hold: hold)
    }

    // MARK: Pause and freeze

    mutating func hold() -> Hold {
        let pausedKey = AnnotationKeys.paused
        let replicasKey = AnnotationKeys.pausedReplicas
        var paused = false
        if let text = global[pausedKey] {
            switch text.trimmingSpaces.lowercased() {
            case "true": paused = true
            case "false": paused = false
            default: problems.append(.error(pausedKey, "must be true or false, got '\(text)'"))
            }
        }
        var replicas: Int32?
        if let text = global[replicasKey], let value = wholeNumber(replicasKey, text) {
            if value < 0 {
                problems.append(.error(replicasKey, "must be 0 or more replicas to hold, got \(value)"))
            } else if global[pausedKey]?.trimmingSpaces.lowercased() == "false" {
                problems.append(.error(replicasKey, "holds the workload at \(value) replicas, which is a pause, but \(pausedKey) is false: remove one of them"))
            } else {
                replicas = value
            }
        }
        return Hold(paused: paused, replicas: replicas, scaleUpDisabled: direction(AnnotationKeys.scaleUp), scaleDownDisabled: direction(AnnotationKeys.scaleDown))
    }

    /// `scale-up`/`scale-down`: `disabled` freezes that direction; `enabled` (the default) does not.
    mutating func direction(_ key: String) -> Bool {
        guard let text = global[key] else { return false }
        switch text.trimmingSpaces.lowercased() {
        case "disabled": return true
        case "enabled": return false
        default:
            problems.append(.error(key, "must be disabled or enabled, got '\(text)'"))
            return false
        }
    }

    // MARK: Scale to zero and fallback

    /// minReplicas 0 needs an activation threshold; thresholds and a cooldown without it do nothing.
    /// `scaleToZero: native` leaves zero to the HPA controller, which has neither.
    mutating func scaleToZero(minReplicas: Int32?, metrics: inout [PrometheusMetric]) -> ScaleToZero? {
        let cooldownKey = AnnotationKeys.cooldownPeriod
        let modeKey = AnnotationKeys.scaleToZero
        let cooldown = global[cooldownKey].map { checkedDuration(cooldownKey, $0)?.duration }
        let thresholdKeys = prometheus.keys.sorted().filter { prometheus[$0]?[.activationThreshold] != nil }.map { AnnotationKeys.prometheus($0, .activationThreshold) }
        var native = false
        if let mode = global[modeKey] {
            switch mode.trimmingSpaces {
            case "operator": native = false
            case "native": native = true
            default:
                problems.append(
                    .error(modeKey, "must be operator (the operator scales to zero, the default) or native (the HPA controller does, with Kubernetes' HPAScaleToZero feature gate), got '\(mode)'"))
                return nil
            }
        }
        guard let minReplicas else { return nil }
        guard minReplicas == 0 else {
            for key in thresholdKeys { problems.append(.warning(key, "has an effect only with \(AnnotationKeys.minReplicas) \"0\"; ignored")) }
            for key in [cooldownKey, modeKey] where global[key] != nil {
                problems.append(.warning(key, "has an effect only with \(AnnotationKeys.minReplicas) \"0\"; ignored"))
            }
            for index in metrics.indices { metrics[index].activationThreshold = nil }
            return nil
        }
        if native {
            let unused = " is not used with \(modeKey) native: the HPA controller wakes the workload on any value above 0 and goes to 0 when every Object and External metric reads 0; ignored"
            for key in thresholdKeys { problems.append(.warning(key, unused)) }
            if cooldown != nil { problems.append(.warning(cooldownKey, unused)) }
            for index in metrics.indices { metrics[index].activationThreshold = nil }
            if prometheus.isEmpty && alertmanager.isEmpty {
                problems.append(.error(modeKey, "native needs a prometheus or alertmanager metric (an Object or External metric): the HPA controller cannot wake a workload at 0 on cpu or memory"))
                return nil
            }
            if !resources.isEmpty {
                problems.append(
                    .warning(modeKey, "native goes to 0 only when every metric asks for 0, and cpu does only at 0 % (memory never): with a cpu or memory target the workload may never reach 0"))
            }
            return ScaleToZero(native: true)
        }
        guard !thresholdKeys.isEmpty else {
            problems.append(
                .error(
                    AnnotationKeys.minReplicas,
                    "is 0, which needs an activation threshold: add \(AnnotationKeys.prometheus("<metric>", .activationThreshold)) (the workload wakes when that metric's value rises above it)"))
            return nil
        }
        guard let cooldown else { return ScaleToZero() }
        return cooldown.map { ScaleToZero(cooldown: $0) }
    }

    mutating func fallback(minReplicas: Int32?, maxReplicas: Int32?) -> Fallback? {
        let replicasKey = AnnotationKeys.fallbackReplicas
        let afterKey = AnnotationKeys.fallbackAfter
        let after = global[afterKey].map { checkedDuration(afterKey, $0)?.text }
        guard let text = global[replicasKey] else {
            if after != nil { problems.append(.warning(afterKey, "has an effect only with \(replicasKey); ignored")) }
            return nil
        }
        guard let replicas = wholeNumber(replicasKey, text) else { return nil }
        let lowest = max(minReplicas ?? 1, 1)
        if let maxReplicas, !(lowest...max(lowest, maxReplicas)).contains(replicas) {
            problems.append(.error(replicasKey, "must be from \(lowest) to maxReplicas (\(maxReplicas)), got \(replicas)"))
            return nil
        } else if replicas < 1 {
            problems.append(.error(replicasKey, "must be at least 1, got \(replicas)"))
            return nil
        }
        if prometheus.isEmpty && alertmanager.isEmpty {
            problems.append(.warning(replicasKey, "applies to prometheus and alertmanager metrics, and this workload has none; ignored"))
        }
        guard after != .some(nil) else { return nil }
        return Fallback(replicas: replicas, after: after ?? nil)
    }

    // MARK: Replica counts

    mutating func replicaCount(_ key: String, role: String, zeroAllowed: Bool = false) -> Int32? {
        guard let text = global[key] else {
            problems.append(.error(key, "is required: \(role) to scale to, a whole number of at least 1"))
            return nil
        }
        guard let value = wholeNumber(key, text) else { return nil }
        guard value >= (zeroAllowed ? 0 : 1) else {
            problems.append(.error(key, "must be at least 1\(zeroAllowed ? " (or 0, with an activation threshold)" : ""), got \(value)"))
            return nil
        }
        return value
    }

    mutating func wholeNumber(_ key: String, _ text: String) -> Int32? {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isWholeNumber || $0 == "-" || $0 == "+" }), let wide = Int64(trimmed) else {
            problems.append(.error(key, "'\(text)' is not a whole number"))
            return nil
        }
        guard let value = Int32(exactly: wide) else {
            problems.append(.error(key, "'\(text)' is out of range (at most \(Int32.max))"))
            return nil
        }
        return value
    }

    // MARK: Resource metrics

    mutating func resourceMetric(_ name: String, _ fields: [AnnotationKeys.ResourceField: String]) -> ResourceMetric? {
        let utilizationKey = AnnotationKeys.resource(name, .targetAverageUtilization)
        let valueKey = AnnotationKeys.resource(name, .targetAverageValue)
        let containerKey = AnnotationKeys.resource(name, .container)
        let container = fields[.container].flatMap { containerName(containerKey, $0) }
        if fields[.targetAverageUtilization] == nil && fields[.targetAverageValue] == nil {
            problems.append(.error(containerKey, "names a container but no target: add \(utilizationKey) or \(valueKey)"))
            return nil
        }
        var metric = resourceTarget(name, fields, utilizationKey: utilizationKey, valueKey: valueKey)
        metric?.container = container
        return metric
    }

    /// A container of the pod template (a DNS label, as Kubernetes names containers).
    mutating func containerName(_ key: String, _ text: String) -> String? {
        let name = text.trimmingSpaces
        let allowed = name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
        guard !name.isEmpty, name.utf8.count <= 63, allowed, name.first != "-", name.last != "-" else {
            problems.append(.error(key, "must be a container name (lower-case letters, digits and '-', at most 63 characters), got '\(text)'"))
            return nil
        }
        if let containers, !containers.contains(name) {
            let listed = containers.isEmpty ? "none" : containers.joined(separator: ", ")
            problems.append(.error(key, "names container '\(name)', which the pod template does not have (its containers: \(listed))"))
            return nil
        }
        return name
    }

    mutating func resourceTarget(_ name: String, _ fields: [AnnotationKeys.ResourceField: String], utilizationKey: String, valueKey: String) -> ResourceMetric? {
        if let text = fields[.targetAverageUtilization] {
            if fields[.targetAverageValue] != nil {
                problems.append(.warning(valueKey, "ignored: \(utilizationKey) is also set and takes precedence"))
            }
            // Banzai's own examples write "80%": the sign is read and dropped.
            let number = text.trimmingSpaces.hasSuffix("%") ? String(text.trimmingSpaces.dropLast()) : text
            guard let percent = wholeNumber(utilizationKey, number) else { return nil }
            guard percent > 0 else {
                problems.append(.error(utilizationKey, "must be a percentage greater than 0, got \(percent)"))
                return nil
            }
            return ResourceMetric(name: name, target: .utilization(percent))
        }
        guard let text = fields[.targetAverageValue], let quantity = positiveQuantity(valueKey, text) else { return nil }
        return ResourceMetric(name: name, target: .averageValue(quantity))
    }

    mutating func positiveQuantity(_ key: String, _ text: String) -> Quantity? {
        quantity(key, text, zeroAllowed: false)
    }

    mutating func nonNegativeQuantity(_ key: String, _ text: String) -> Quantity? {
        quantity(key, text, zeroAllowed: true)
    }

    private mutating func quantity(_ key: String, _ text: String, zeroAllowed: Bool) -> Quantity? {
        do {
            let quantity = try Quantity(parsing: text.trimmingSpaces)
            guard quantity.sign > 0 || (zeroAllowed && quantity.sign == 0) else {
                problems.append(.error(key, "must be \(zeroAllowed ? "0 or more" : "greater than 0"), got '\(text)'"))
                return nil
            }
            return quantity
        } catch {
            problems.append(.error(key, error.description))
            return nil
        }
    }

    // MARK: Prometheus metrics

    mutating func prometheusMetric(_ name: String, _ fields: [AnnotationKeys.PrometheusField: String]) -> PrometheusMetric? {
        func key(_ field: AnnotationKeys.PrometheusField) -> String { AnnotationKeys.prometheus(name, field) }
        guard MetricName.isValid(name) else {
            let firstKey = fields.keys.map(key).min()!
            problems.append(.error(firstKey, "metric name '\(name)' is not valid: use letters, digits and '-' (at most 63, starting and ending with a letter or digit)"))
            return nil
        }
        let target = self.target(value: (key(.targetValue), fields[.targetValue]), averageValue: (key(.targetAverageValue), fields[.targetAverageValue]))
        let query = fields[.query]?.trimmingSpaces
        let givenTargets = [AnnotationKeys.PrometheusField.targetValue, .targetAverageValue].filter { fields[$0] != nil }
        if query == nil {
            let anchor = givenTargets.first.map(key) ?? fields.keys.map(key).min()!
            problems.append(.error(anchor, "has no query: add \(key(.query))"))
        } else if query!.isEmpty {
            problems.append(.error(key(.query), "is empty: give the PromQL query whose value is compared with the target"))
        } else if givenTargets.isEmpty {
            problems.append(.error(key(.query), "has no target: add \(key(.targetAverageValue)) (per replica) or \(key(.targetValue)) (total)"))
        }
        var parses = true
        if let query, !query.isEmpty {
            do { _ = try PromQL.parseMetricQuery(query) } catch {
                problems.append(.error(key(.query), error.description))
                parses = false
            }
        }
        let interval = fields[.interval].map { checkedDuration(key(.interval), $0)?.text }
        let server = fields[.server].map { checkedServer(key(.server), $0) }
        let threshold = fields[.activationThreshold].map { nonNegativeQuantity(key(.activationThreshold), $0) }
        // A given but invalid interval, server or threshold is reported; the metric is then invalid too.
        guard let query, !query.isEmpty, parses, let target, interval != .some(nil), server != .some(nil), threshold != .some(nil) else { return nil }
        return PrometheusMetric(name: name, query: query, target: target, interval: interval ?? nil, server: server ?? nil, activationThreshold: threshold ?? nil)
    }

    /// A targetValue (the total), else a targetAverageValue (per replica); nil when neither is
    /// given or the one that counts is invalid.
    mutating func target(value: (key: String, text: String?), averageValue: (key: String, text: String?)) -> PrometheusMetric.Target? {
        if let text = value.text {
            if averageValue.text != nil {
                problems.append(.warning(averageValue.key, "ignored: \(value.key) is also set and takes precedence"))
            }
            return positiveQuantity(value.key, text).map(PrometheusMetric.Target.value)
        }
        return averageValue.text.flatMap { positiveQuantity(averageValue.key, $0) }.map(PrometheusMetric.Target.averageValue)
    }

    // MARK: Alertmanager metrics

    mutating func alertMetric(_ name: String, _ fields: [AnnotationKeys.AlertmanagerField: String]) -> AlertMetric? {
        func key(_ field: AnnotationKeys.AlertmanagerField) -> String { AnnotationKeys.alertmanager(name, field) }
        guard MetricName.isValid(name) else {
            let firstKey = fields.keys.map(key).min()!
            problems.append(.error(firstKey, "metric name '\(name)' is not valid: use letters, digits and '-' (at most 63, starting and ending with a letter or digit)"))
            return nil
        }
        let before = problems.count
        let alertname = fields[.alertname]?.trimmingSpaces
        if alertname == nil {
            problems.append(.error(key(.alertname), "is required: the alertname of the alert rule whose firing alerts make this metric"))
        } else if alertname!.isEmpty {
            problems.append(.error(key(.alertname), "is empty: give the alertname of the alert rule"))
        }
        var matchLabels: [String: String] = [:]
        if let text = fields[.matchLabels] {
            switch AlertLabels.parse(text) {
            case .success(let labels): matchLabels = labels
            case .failure(let problem): problems.append(.error(key(.matchLabels), problem.description))
            }
        }
        let workloadLabel = fields[.workloadLabel]?.trimmingSpaces
        if let workloadLabel, !AlertLabels.isValidName(workloadLabel) {
            problems.append(.error(key(.workloadLabel), "'\(workloadLabel)' is not a label name (letters, digits and '_', not starting with a digit)"))
        }
        if fields[.targetValue] == nil && fields[.targetAverageValue] == nil {
            problems.append(.error(key(.alertname), "has no target: add \(key(.targetValue)) (the total) or \(key(.targetAverageValue)) (per replica)"))
        }
        let target = self.target(value: (key(.targetValue), fields[.targetValue]), averageValue: (key(.targetAverageValue), fields[.targetAverageValue]))
        guard problems.count == before || !problems[before...].contains(where: \.isError), let alertname, let target else { return nil }
        return AlertMetric(name: name, alertname: alertname, matchLabels: matchLabels, workloadLabel: workloadLabel, target: target)
    }

    /// A duration of at least a second, as written (trimmed) and as read.
    mutating func checkedDuration(_ key: String, _ text: String) -> (text: String, duration: Duration)? {
        let trimmed = text.trimmingSpaces
        do {
            let duration = try Duration(parsingGo: trimmed)
            guard duration >= .seconds(1) else {
                problems.append(.error(key, "must be at least 1s, got '\(text)'"))
                return nil
            }
            return (trimmed, duration)
        } catch {
            problems.append(.error(key, error.description))
            return nil
        }
    }

    mutating func checkedServer(_ key: String, _ text: String) -> String? {
        let trimmed = text.trimmingSpaces
        if PrometheusServerReference(trimmed) != nil { return trimmed }
        problems.append(.error(key, "'\(text)' is neither an http(s) URL nor a server alias (letters, digits, '-', '_', '.')"))
        return nil
    }

    // MARK: Behavior

    mutating func behavior() -> HorizontalPodAutoscalerBehavior? {
        var behavior: HorizontalPodAutoscalerBehavior?
        if let text = global[AnnotationKeys.behavior] {
            switch BehaviorAnnotation.parse(text) {
            case .success(let parsed): behavior = parsed
            case .failure(let problem): problems.append(.error(AnnotationKeys.behavior, problem.message))
            }
        }
        if let seconds = window(AnnotationKeys.scaleUpStabilizationWindow) {
            behavior = behavior ?? HorizontalPodAutoscalerBehavior()
            behavior!.scaleUp = behavior!.scaleUp ?? HPAScalingRules()
            behavior!.scaleUp!.stabilizationWindowSeconds = seconds
        }
        if let seconds = window(AnnotationKeys.scaleDownStabilizationWindow) {
            behavior = behavior ?? HorizontalPodAutoscalerBehavior()
            behavior!.scaleDown = behavior!.scaleDown ?? HPAScalingRules()
            behavior!.scaleDown!.stabilizationWindowSeconds = seconds
        }
        return behavior
    }

    mutating func window(_ key: String) -> Int32? {
        guard let text = global[key], let seconds = wholeNumber(key, text) else { return nil }
        guard BehaviorAnnotation.windowRange.contains(seconds) else {
            problems.append(.error(key, "must be a number of seconds from 0 to 3600, got \(seconds)"))
            return nil
        }
        return seconds
    }
}
