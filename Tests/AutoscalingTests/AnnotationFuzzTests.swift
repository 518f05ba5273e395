import Foundation
import KubeModel
import TestSupport
import Testing

@testable import Autoscaling

/// Whoever may edit a Deployment writes these values. Mutated valid annotations never crash the
/// parser or the HPA builder, never take long, and every problem is printable and bounded (the
/// fuzzing that found billion laughs, 1 MB echoes and ANSI escapes, kept as a test).
@Suite struct AnnotationFuzzTests {
    static let valid: [String: String] = [
        minKey: "1", maxKey: "10",
        rps("query"): #"sum(rate(http_requests_total{app="shop"}[2m]))"#, rps("targetAverageValue"): "40",
        "prometheus.latency.\(domain)/query": "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))",
        "prometheus.latency.\(domain)/targetValue": "500m",
        "cpu.\(domain)/targetAverageUtilization": "70", "memory.\(domain)/targetAverageValue": "512Mi",
        "\(domain)/behavior": "scaleDown: {stabilizationWindowSeconds: 300, policies: [{type: Percent, value: 10, periodSeconds: 60}]}",
    ]

    @Test func mutatedAnnotationsGetPrintableProblems() {
        var fuzzer = Fuzzer()
        let keys = Self.valid.keys.sorted()
        var slowest = Duration.zero
        for iteration in 0..<Fuzzer.iterations {
            var annotations = Self.valid
            for _ in 0...fuzzer.int(2) {
                let key = fuzzer.pick(keys)
                annotations[key] = fuzzer.mutate(annotations[key] ?? "")
            }
            let started = ContinuousClock.now
            var messages: [String] = []
            switch AnnotationParser.parse(annotations) {
            case .valid(let spec, let warnings):
                messages = warnings.map(\.description)
                for style in [MetricStyle.object, .objectOnWorkloadPod, .external] {
                    messages += HPABuilder.problems(spec, style: style).map(\.description)
                    _ = HPABuilder.build(spec, for: WorkloadReference(kind: "Deployment", name: "shop", namespace: "prod", uid: "u"), style: style)
                }
            case .invalid(let problems):
                messages = problems.map(\.description)
                #expect(!problems.isEmpty, "seed \(Fuzzer.seed) iteration \(iteration): invalid without a problem")
            case .unannotated:
                Issue.record("seed \(Fuzzer.seed) iteration \(iteration): annotations not seen")
            }
            slowest = max(slowest, ContinuousClock.now - started)
            for message in messages {
                if let unfit = Fuzzer.unfit(message) {
                    Issue.record("seed \(Fuzzer.seed) iteration \(iteration): a problem \(unfit): \(message.prefix(200).debugDescription)")
                }
            }
        }
        // Generous: a stall (alias expansion ran past 60 s) is what this catches, not speed.
        #expect(slowest < .seconds(10), "slowest parse took \(slowest)")
    }
}
