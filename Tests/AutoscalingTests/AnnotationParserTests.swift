import KubeModel
import Testing

@testable import Autoscaling

let domain = "hpa.autoscaling.banzaicloud.io"
let minKey = "\(domain)/minReplicas"
let maxKey = "\(domain)/maxReplicas"
func rps(_ field: String) -> String { "prometheus.rps.\(domain)/\(field)" }

/// min 1, max 10 and one rps metric, with `extra` merged over them (nil values remove a key).
func annotations(_ extra: [String: String?] = [:]) -> [String: String] {
    var base: [String: String] = [minKey: "1", maxKey: "10", rps("query"): "sum(rate(http_requests_total[2m]))", rps("targetAverageValue"): "40"]
    for (key, value) in extra { base[key] = value }
    return base
}

func spec(_ annotations: [String: String]) throws -> AutoscalingSpec {
    guard case .valid(let spec, _) = AnnotationParser.parse(annotations) else {
        Issue.record("expected valid, got \(AnnotationParser.parse(annotations))")
        throw CancellationError()
    }
    return spec
}

/// The problems, as `key: message` lines, errors and warnings alike.
func problems(_ annotations: [String: String]) -> [String] {
    switch AnnotationParser.parse(annotations) {
    case .invalid(let problems): return problems.map(\.description)
    case .valid(_, let warnings): return warnings.map { "warning: \($0)" }
    case .unannotated: return ["unannotated"]
    }
}

@Suite("Annotation parser: valid input")
struct ValidAnnotationTests {
    @Test func replicaBounds() throws {
        let parsed = try spec(annotations([minKey: "2", maxKey: "7"]))
        #expect(parsed.minReplicas == 2 && parsed.maxReplicas == 7)
        #expect(try spec(annotations([minKey: " 3 ", maxKey: "3"])).minReplicas == 3)
    }

    @Test(arguments: [
        ("cpu", "targetAverageUtilization", "70", ResourceMetric.Target.utilization(70)),
        ("cpu", "targetAverageUtilization", "150", .utilization(150)),
        ("cpu", "targetAverageValue", "500m", .averageValue(Quantity(milli: 500))),
        ("memory", "targetAverageUtilization", "80", .utilization(80)),
        // As Banzai's own examples write it.
        ("cpu", "targetAverageUtilization", "80%", .utilization(80)),
        ("memory", "targetAverageUtilization", " 75% ", .utilization(75)),
        ("memory", "targetAverageValue", "512Mi", .averageValue(Quantity(536_870_912))),
        ("memory", "targetAverageValue", "60m", .averageValue(Quantity(milli: 60))),
    ])
    func resourceTargets(resource: String, field: String, value: String, target: ResourceMetric.Target) throws {
        let parsed = try spec([minKey: "1", maxKey: "5", "\(resource).\(domain)/\(field)": value])
        #expect(parsed.resourceMetrics == [ResourceMetric(name: resource, target: target)])
        #expect(parsed.prometheusMetrics.isEmpty)
    }

    /// `cpu.…/container: app`: a ContainerResource metric for that container, checked against
    /// the pod template's containers where they are known.
    @Test func aResourceTargetForOneContainer() throws {
        let cpu = "cpu.\(domain)/"
        let given = [minKey: "1", maxKey: "5", cpu + "targetAverageUtilization": "60", cpu + "container": "app"]
        let parsed = try spec(given)
        #expect(parsed.resourceMetrics == [ResourceMetric(name: "cpu", target: .utilization(60), container: "app")])
        #expect(AnnotationParser.parse(given, containers: ["app", "istio-proxy"]) == .valid(parsed, warnings: []))
        let workload = Deployment(
            metadata: ObjectMeta(name: "web", namespace: "shop", uid: "u1", annotations: given),
            spec: WorkloadSpec(template: PodTemplate(spec: PodSpec(containers: [Container(name: "web")]))))
        #expect(AnnotationParser.parse(workload) == .invalid([.error(cpu + "container", "names container 'app', which the pod template does not have (its containers: web)")]))
        // A native sidecar (an init container that keeps running) counts; a plain init container does not.
        var sidecar = workload
        sidecar.spec?.template?.spec?.initContainers = [Container(name: "app", restartPolicy: "Always")]
        #expect(AnnotationParser.parse(sidecar) == .valid(parsed, warnings: []))
        sidecar.spec?.template?.spec?.initContainers = [Container(name: "app")]
        guard case .invalid = AnnotationParser.parse(sidecar) else {
            Issue.record("a plain init container is not scaled on")
            return
        }
        guard case .hpa(let hpa, _) = DesiredHPA(for: Deployment(metadata: workload.metadata), style: .object) else {
            Issue.record("no HPA")
            return
        }
        #expect(hpa.spec.metrics == [MetricSpec(containerResource: ContainerResourceMetricSource(name: "cpu", container: "app", target: .utilization(60)))])
    }

    @Test func prometheusTargets() throws {
        let average = try spec(annotations())
        #expect(average.prometheusMetrics == [PrometheusMetric(name: "rps", query: "sum(rate(http_requests_total[2m]))", target: .averageValue(Quantity(40)))])
        let total = try spec(annotations([rps("targetAverageValue"): nil, rps("targetValue"): "10k"]))
        #expect(total.prometheusMetrics.first?.target == .value(Quantity(10_000)))
    }

    @Test func targetValueWinsWhenBothAreGiven() {
        let reading = AnnotationParser.parse(annotations([rps("targetValue"): "100"]))
        guard case .valid(let spec, let warnings) = reading else {
            Issue.record("\(reading)")
            return
        }
        #expect(spec.prometheusMetrics.first?.target == .value(Quantity(100)))
        #expect(warnings.map(\.description) == ["\(rps("targetAverageValue")): ignored: \(rps("targetValue")) is also set and takes precedence"])
    }

    @Test func utilizationWinsOverAverageValueForResources() {
        let cpu = "cpu.\(domain)/"
        let reading = AnnotationParser.parse([minKey: "1", maxKey: "3", cpu + "targetAverageUtilization": "60", cpu + "targetAverageValue": "200m"])
        guard case .valid(let spec, let warnings) = reading else {
            Issue.record("\(reading)")
            return
        }
        #expect(spec.resourceMetrics == [ResourceMetric(name: "cpu", target: .utilization(60))])
        #expect(warnings.count == 1 && warnings[0].key == cpu + "targetAverageValue")
    }

    @Test func intervalAndServerAreKeptAsWritten() throws {
        let parsed = try spec(annotations([rps("interval"): "15s", rps("server"): "http://prometheus.monitoring:9090"]))
        #expect(parsed.prometheusMetrics.first?.interval == "15s")
        #expect(parsed.prometheusMetrics.first?.server == "http://prometheus.monitoring:9090")
        #expect(try spec(annotations([rps("interval"): "1m30s", rps("server"): "thanos"])).prometheusMetrics.first?.server == "thanos")
    }

    @Test func metricNamesKeepTheirCase() throws {
        let key = "prometheus.customMetricName.\(domain)/"
        let parsed = try spec([minKey: "1", maxKey: "2", key + "query": "vector(1)", key + "targetValue": "1"])
        #expect(parsed.prometheusMetrics.map(\.name) == ["customMetricName"])
    }

    @Test func metricsAreSortedResourcesFirst() throws {
        func metric(_ name: String) -> [String: String?] {
            ["prometheus.\(name).\(domain)/query": "vector(1)", "prometheus.\(name).\(domain)/targetValue": "1"]
        }
        var extra = metric("zeta").merging(metric("alpha")) { a, _ in a }.merging(metric("Mid")) { a, _ in a }
        extra["memory.\(domain)/targetAverageUtilization"] = "80"
        extra["cpu.\(domain)/targetAverageUtilization"] = "70"
        let parsed = try spec(annotations(extra))
        #expect(parsed.resourceMetrics.map(\.name) == ["cpu", "memory"])
        #expect(parsed.prometheusMetrics.map(\.name) == ["Mid", "alpha", "rps", "zeta"])
    }

    @Test func stabilizationWindowsBecomeBehavior() throws {
        let parsed = try spec(annotations(["\(domain)/scaleUpStabilizationWindowSeconds": "0", "\(domain)/scaleDownStabilizationWindowSeconds": "3600"]))
        #expect(
            parsed.behavior
                == HorizontalPodAutoscalerBehavior(
                    scaleUp: HPAScalingRules(stabilizationWindowSeconds: 0), scaleDown: HPAScalingRules(stabilizationWindowSeconds: 3600)))
    }

    @Test func behaviorAnnotationInYAMLOrJSON() throws {
        let yaml = """
            scaleDown:
              stabilizationWindowSeconds: 120
              policies:
              - type: Percent
                value: 50
                periodSeconds: 60
            scaleUp:
              selectPolicy: Max
              tolerance: 0.05
            """
        let fromYAML = try spec(annotations(["\(domain)/behavior": yaml]))
        #expect(fromYAML.behavior?.scaleDown?.policies == [HPAScalingPolicy(type: "Percent", value: 50, periodSeconds: 60)])
        #expect(fromYAML.behavior?.scaleDown?.stabilizationWindowSeconds == 120)
        #expect(fromYAML.behavior?.scaleUp?.selectPolicy == "Max")
        #expect(fromYAML.behavior?.scaleUp?.tolerance == Quantity(milli: 50))
        let json = #"{"scaleDown":{"stabilizationWindowSeconds":120,"policies":[{"type":"Percent","value":50,"periodSeconds":60}]},"scaleUp":{"selectPolicy":"Max","tolerance":"50m"}}"#
        #expect(try spec(annotations(["\(domain)/behavior": json])).behavior == fromYAML.behavior)
    }

    @Test func windowAnnotationsOverrideTheBehaviorWindows() throws {
        let parsed = try spec(
            annotations([
                "\(domain)/behavior": "scaleDown: {stabilizationWindowSeconds: 120, selectPolicy: Min}",
                "\(domain)/scaleDownStabilizationWindowSeconds": "30",
            ]))
        #expect(parsed.behavior?.scaleDown == HPAScalingRules(stabilizationWindowSeconds: 30, selectPolicy: "Min"))
        #expect(parsed.behavior?.scaleUp == nil)
    }
}

@Suite("Annotation parser: foreign keys and where annotations are read from")
struct AnnotationSourceTests {
    @Test func noneOfOurKeysMeansUnannotated() {
        #expect(AnnotationParser.parse([:]) == .unannotated)
        #expect(AnnotationParser.parse(["deployment.kubernetes.io/revision": "3", "app": "x"]) == .unannotated)
    }

    /// Banzai #30, #34, #36: other annotations, whatever their shape, never break parsing.
    @Test(arguments: [
        ["prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/metrics"],
        ["config/checksum": "6f1c0e55", "checksum": "abc", "no-slash-at-all": "x", "": ""],
        ["kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\"}"],
        ["autoscaling.banzaicloud.io/minReplicas": "x", "xhpa.autoscaling.banzaicloud.io/y": "z", "hpa.autoscaling.banzaicloud.io.evil.com/minReplicas": "0"],
        ["a/b/c": "d", "/": "", "prometheus.rps.hpa.autoscaling.banzaicloud.io": "no slash"],
    ])
    func foreignAnnotationsAreIgnored(foreign: [String: String]) throws {
        let parsed = try spec(annotations().merging(foreign) { ours, _ in ours })
        #expect(parsed == (try spec(annotations())))
        #expect(AnnotationParser.parse(foreign) == .unannotated)
    }

    @Test func templateAnnotationsAreReadOnlyWhenMetadataHasNoneOfOurs() {
        let ours = annotations()
        let foreign = ["prometheus.io/scrape": "true"]
        #expect(AnnotationParser.annotations(metadata: foreign, template: ours) == ours)
        #expect(AnnotationParser.annotations(metadata: nil, template: ours) == ours)
        // Never merged: metadata wins whole.
        let metadata = [minKey: "2", maxKey: "4", "cpu.\(domain)/targetAverageUtilization": "50"]
        #expect(AnnotationParser.annotations(metadata: metadata, template: ours) == metadata)
        #expect(AnnotationParser.annotations(metadata: nil, template: nil) == [:])
    }

    @Test func outputDoesNotDependOnDictionaryOrder() {
        let broken = [minKey: "x", maxKey: "-1", rps("targetAverageValue"): "4x", "prometheus.b.\(domain)/query": "", "\(domain)/unknown": "1", "cpu.\(domain)/targetAverageUtilization": "0"]
        let first = problems(broken)
        for _ in 0..<20 {
            #expect(problems(Dictionary(uniqueKeysWithValues: broken.shuffled())) == first)
        }
    }
}

@Suite("Annotation parser: errors name the key and the problem")
struct AnnotationErrorTests {
    @Test(
        arguments: [
            // Replica bounds.
            ([minKey: nil], ["\(minKey): is required: the fewest replicas to scale to, a whole number of at least 1"]),
            ([maxKey: nil], ["\(maxKey): is required: the most replicas to scale to, a whole number of at least 1"]),
            ([minKey: "two"], ["\(minKey): 'two' is not a whole number"]),
            ([minKey: "1.5"], ["\(minKey): '1.5' is not a whole number"]),
            ([maxKey: ""], ["\(maxKey): '' is not a whole number"]),
            (
                [minKey: "0"],
                ["\(minKey): is 0, which needs an activation threshold: add prometheus.<metric>.\(domain)/activationThreshold (the workload wakes when that metric's value rises above it)"]
            ),
            ([minKey: "-1"], ["\(minKey): must be at least 1 (or 0, with an activation threshold), got -1"]),
            ([maxKey: "-3"], ["\(maxKey): must be at least 1, got -3"]),
            ([maxKey: "3000000000"], ["\(maxKey): '3000000000' is out of range (at most 2147483647)"]),
            ([minKey: "5", maxKey: "3"], ["\(maxKey): must be at least minReplicas (5), got 3"]),
            // Targets.
            ([rps("targetAverageValue"): "40x"], ["\(rps("targetAverageValue")): '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"]),
            ([rps("targetAverageValue"): "0"], ["\(rps("targetAverageValue")): must be greater than 0, got '0'"]),
            ([rps("targetAverageValue"): "-5"], ["\(rps("targetAverageValue")): must be greater than 0, got '-5'"]),
            (["cpu.\(domain)/targetAverageUtilization": "0"], ["cpu.\(domain)/targetAverageUtilization: must be a percentage greater than 0, got 0"]),
            (["memory.\(domain)/targetAverageValue": "1Gb"], ["memory.\(domain)/targetAverageValue: '1Gb' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"]),
            // Query and target belong together.
            ([rps("targetAverageValue"): nil], ["\(rps("query")): has no target: add \(rps("targetAverageValue")) (per replica) or \(rps("targetValue")) (total)"]),
            ([rps("query"): nil], ["\(rps("targetAverageValue")): has no query: add \(rps("query"))"]),
            ([rps("query"): "  "], ["\(rps("query")): is empty: give the PromQL query whose value is compared with the target"]),
            // The query is PromQL, checked before it ever reaches Prometheus.
            ([rps("query"): "sum(rate(x[5m]) + )"], ["\(rps("query")): unexpected \")\" at column 19, expected an expression"]),
            (
                [rps("query"): "rate(http_requests_total)"],
                ["\(rps("query")): expected a range vector in call to function \"rate\", got an instant vector at column 6: add a range such as [5m] after the selector"]
            ),
            (
                [rps("query"): "http_requests_total[5m]"],
                ["\(rps("query")): the query gives a range vector, not one number at column 1: wrap it in a function such as rate(…[5m]) or max_over_time(…[5m])"]
            ),
            // Interval and server.
            ([rps("interval"): "5x"], ["\(rps("interval")): '5x' is not a duration (examples: 15s, 1m, 1m30s, 500ms)"]),
            ([rps("interval"): "30"], ["\(rps("interval")): '30' is not a duration (examples: 15s, 1m, 1m30s, 500ms)"]),
            ([rps("interval"): "500ms"], ["\(rps("interval")): must be at least 1s, got '500ms'"]),
            ([rps("server"): "ftp://prom"], ["\(rps("server")): 'ftp://prom' is neither an http(s) URL nor a server alias (letters, digits, '-', '_', '.')"]),
            ([rps("server"): "http://"], ["\(rps("server")): 'http://' is neither an http(s) URL nor a server alias (letters, digits, '-', '_', '.')"]),
            // Metric names must be RFC 1123 labels.
            (
                ["prometheus.req_per_sec.\(domain)/query": "x", "prometheus.req_per_sec.\(domain)/targetValue": "1"],
                ["prometheus.req_per_sec.\(domain)/query: metric name 'req_per_sec' is not valid: use letters, digits and '-' (at most 63, starting and ending with a letter or digit)"]
            ),
            (
                ["prometheus.http.rate.\(domain)/targetValue": "1"],
                ["prometheus.http.rate.\(domain)/targetValue: metric name 'http.rate' is not valid: use letters, digits and '-' (at most 63, starting and ending with a letter or digit)"]
            ),
            // Windows.
            (["\(domain)/scaleUpStabilizationWindowSeconds": "3601"], ["\(domain)/scaleUpStabilizationWindowSeconds: must be a number of seconds from 0 to 3600, got 3601"]),
            (["\(domain)/scaleDownStabilizationWindowSeconds": "5m"], ["\(domain)/scaleDownStabilizationWindowSeconds: '5m' is not a whole number"]),
            // Unknown keys under our domain are warnings: the HPA is still built.
            (["\(domain)/minReplica": "1"], ["warning: \(domain)/minReplica: is not a known \(domain) annotation; ignored"]),
            (["gpu.\(domain)/targetAverageUtilization": "50"], ["warning: gpu.\(domain)/targetAverageUtilization: is not a known \(domain) annotation; ignored"]),
            (["cpu.\(domain)/targetUtilization": "50"], ["warning: cpu.\(domain)/targetUtilization: is not a known \(domain) annotation; ignored"]),
            ([rps("targetAverage"): "50"], ["warning: \(rps("targetAverage")): is not a known \(domain) annotation; ignored"]),
            // Banzai 0.1.4's pods metrics: said what they were and what to write now.
            (
                ["pod.rps.\(domain)/targetAverageValue": "50"],
                [
                    "warning: pod.rps.\(domain)/targetAverageValue: is Banzai 0.1.4's form of a pods metric served by another adapter, which hpa-operator does not read; ignored: write \(rps("query")) with a query summing the metric over the workload's pods, and \(rps("targetAverageValue")) with the target per pod"
                ]
            ),
            (["cpu.\(domain)/targetAverageUtilization": "80x%"], ["cpu.\(domain)/targetAverageUtilization: '80x' is not a whole number"]),
        ] as [([String: String?], [String])])
    func singleProblem(change: [String: String?], expected: [String]) {
        #expect(problems(annotations(change)) == expected)
    }

    @Test func minAndMaxWithoutMetricsIsNoMetricsConfigured() {
        #expect(problems([minKey: "1", maxKey: "3"]) == ["\(domain): no metrics configured: add a cpu, memory, prometheus.<metric> or alertmanager.<metric> target; no HPA is created"])
        #expect(
            problems([minKey: "1", maxKey: "3", "\(domain)/typo": "x"]) == [
                "\(domain): no metrics configured: add a cpu, memory, prometheus.<metric> or alertmanager.<metric> target; no HPA is created",
                "\(domain)/typo: is not a known \(domain) annotation; ignored",
            ])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let reported = problems([
            minKey: "0", maxKey: "x",
            rps("query"): "sum(rate(x[1m]))", rps("targetAverageValue"): "4x",
            "prometheus.lat.\(domain)/targetValue": "10",
            "cpu.\(domain)/targetAverageUtilization": "-1",
            "\(domain)/behavior": "scaleUp: [",
        ])
        #expect(reported.count == 6)
        #expect(
            reported.map { String($0.prefix(while: { $0 != ":" })) } == [
                "cpu.\(domain)/targetAverageUtilization", "\(domain)/behavior", maxKey, minKey,
                "prometheus.lat.\(domain)/targetValue", rps("targetAverageValue"),
            ])
    }

    @Test(arguments: [
        ("scaleUp: [", "is not valid YAML or JSON: line 2, column 1: did not find expected node content"),
        ("- 1\n- 2", "must be a mapping with scaleUp and/or scaleDown, as in an HPA's spec.behavior"),
        ("scaleup: {stabilizationWindowSeconds: 10}", "scaleup: unknown field (known: scaleUp, scaleDown; stabilizationWindowSeconds, selectPolicy, policies, tolerance; type, value, periodSeconds)"),
        (
            "scaleDown: {policies: [{type: Pods, value: 1, period: 60}]}",
            "scaleDown.policies[0].period: unknown field (known: scaleUp, scaleDown; stabilizationWindowSeconds, selectPolicy, policies, tolerance; type, value, periodSeconds)"
        ),
        ("scaleDown: {stabilizationWindowSeconds: ten}", "is not an autoscaling/v2 behavior: scaleDown.stabilizationWindowSeconds: expected a whole number"),
        ("scaleDown: {policies: [{type: Pods, value: 1}]}", "is not an autoscaling/v2 behavior: scaleDown.policies[0].periodSeconds: required field is missing"),
        ("scaleDown: {stabilizationWindowSeconds: 4000}", "scaleDown.stabilizationWindowSeconds: must be from 0 to 3600, got 4000"),
        ("scaleUp: {selectPolicy: Maximum}", "scaleUp.selectPolicy: must be Max, Min or Disabled, got 'Maximum'"),
        ("scaleUp: {policies: [{type: Pod, value: 1, periodSeconds: 60}]}", "scaleUp.policies[0].type: must be Pods or Percent, got 'Pod'"),
        ("scaleUp: {policies: [{type: Pods, value: 0, periodSeconds: 60}]}", "scaleUp.policies[0].value: must be greater than 0, got 0"),
        ("scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 1801}]}", "scaleUp.policies[0].periodSeconds: must be from 1 to 1800, got 1801"),
        ("scaleDown: {tolerance: -0.05}", "scaleDown.tolerance: must be greater than or equal to 0, got -50m"),
    ])
    func behaviorProblems(text: String, message: String) {
        #expect(problems(annotations(["\(domain)/behavior": text])) == ["\(domain)/behavior: \(message)"])
    }

    @Test(arguments: [
        ("App", "must be a container name (lower-case letters, digits and '-', at most 63 characters), got 'App'"),
        ("-app", "must be a container name (lower-case letters, digits and '-', at most 63 characters), got '-app'"),
        (String(repeating: "a", count: 64), "must be a container name (lower-case letters, digits and '-', at most 63 characters), got '\(String(repeating: "a", count: 64))'"),
    ])
    func containerProblems(name: String, message: String) {
        let key = "memory.\(domain)/container"
        #expect(problems(annotations([key: name, "memory.\(domain)/targetAverageValue": "512Mi"])) == ["\(key): \(message)"])
    }

    @Test func aContainerWithoutATargetIsAnError() {
        #expect(
            problems(annotations(["cpu.\(domain)/container": "app"])) == [
                "cpu.\(domain)/container: names a container but no target: add cpu.\(domain)/targetAverageUtilization or cpu.\(domain)/targetAverageValue"
            ])
    }

}

/// Whoever may edit a Deployment writes these values: none of them may stall the operator, and
/// what is echoed of them is bounded and printable (found by fuzzing the release binary).
@Suite("Annotation parser: hostile values")
struct HostileAnnotationTests {
    /// Eight levels of aliases: expanded, gigabytes. Refused before any YAML is read.
    @Test func billionLaughsInBehaviorIsRefusedAtOnce() throws {
        var yaml = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for level in 1...8 {
            yaml +=
                "\(Character(UnicodeScalar(97 + level)!)): &\(Character(UnicodeScalar(97 + level)!)) [" + Array(repeating: "*\(Character(UnicodeScalar(96 + level)!))", count: 9).joined(separator: ",")
                + "]\n"
        }
        let started = ContinuousClock.now
        let found = problems(annotations(["\(domain)/behavior": yaml]))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(found == ["\(domain)/behavior: uses a YAML anchor ('&'): anchors and aliases are not accepted in annotations; write the values out"])
        // Quoted text may hold the characters.
        #expect(BehaviorAnnotation.anchorOrAlias(in: "scaleDown: {selectPolicy: \"*Max&\"}") == nil)
    }

    /// The apiserver refuses an empty policy list (422); we say so before writing.
    @Test func emptyPoliciesAreRefusedAsTheApiserverDoes() {
        #expect(
            problems(annotations(["\(domain)/behavior": "scaleDown: {policies: []}"])) == [
                "\(domain)/behavior: scaleDown.policies: must specify at least one policy (leave policies out for the default ones)"
            ])
    }

    @Test func aHugeValueIsRefusedUnreadAndNotEchoed() {
        let huge = String(repeating: "9", count: 1_000_000)
        let found = problems(annotations([minKey: huge]))
        #expect(found == ["\(minKey): is 1000000 bytes long, more than the 256 such a value may have; it is not read"])
    }

    @Test func controlCharactersInAValueAreNotEchoed() {
        let found = problems(annotations([rps("targetAverageValue"): "4\u{1B}[2J0\u{202E}x"]))
        #expect(found.count == 1)
        #expect(found.first?.contains("\u{1B}") == false && found.first?.contains("\u{202E}") == false, "\(found)")
    }
}
