import Foundation
import TestSupport
import Testing

/// Manifests are outside input (`kubectl get deploy -A -o yaml | hpa-operator render -f -`).
/// Mutated valid manifests, many documents in one file as users pipe them, never crash `render`,
/// never stall it, and every line it prints about them is printable and bounded (the fuzzing of
/// 3,000 manifests that found the duplicate-key dump and libyaml's internals, kept as a test).
@Suite struct ManifestFuzzTests {
    static let manifests = [
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: shop
          namespace: prod
          annotations:
            hpa.autoscaling.banzaicloud.io/minReplicas: "1"
            hpa.autoscaling.banzaicloud.io/maxReplicas: "10"
            prometheus.rps.hpa.autoscaling.banzaicloud.io/query: sum(rate(http_requests_total{app="shop"}[2m]))
            prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: "40"
            hpa.autoscaling.banzaicloud.io/behavior: |
              scaleDown: {stabilizationWindowSeconds: 300}
        spec:
          replicas: 2
          template:
            metadata:
              annotations:
                cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization: "70"
        """,
        #"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"prod","annotations":{"hpa.autoscaling.banzaicloud.io/minReplicas":"2","hpa.autoscaling.banzaicloud.io/maxReplicas":"4","memory.hpa.autoscaling.banzaicloud.io/targetAverageValue":"512Mi"}},"spec":{"replicas":3}}"#,
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, annotations: {hpa.autoscaling.banzaicloud.io/maxReplicas: "3", cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization: "50"}}
        """,
    ]

    @Test func mutatedManifestsGetPrintableMessages() async throws {
        var fuzzer = Fuzzer()
        // Documents per file, several files: each file is one `render` process.
        let perFile = 60
        for file in 0..<max(1, Fuzzer.iterations / perFile) {
            let documents = (0..<perFile).map { _ in fuzzer.mutate(fuzzer.pick(Self.manifests)) }
            let path = try CLI.manifest(documents.joined(separator: "\n---\n"))
            let result = try await CLI.run(["render", "-f", path], timeout: .seconds(120))
            let context = "seed \(Fuzzer.seed) file \(file) (\(path))"
            #expect(result.status == 0 || result.status == 1, "\(context): exit status \(result.status)")
            for line in result.stderrLines {
                if let unfit = Fuzzer.unfit(line) { Issue.record("\(context): a line \(unfit): \(line.prefix(200).debugDescription)") }
            }
        }
    }
}
