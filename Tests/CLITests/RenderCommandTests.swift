import Foundation
import Testing

@Suite("hpa-operator render")
struct RenderCommandTests {
    @Test(arguments: ["object", "pod", "external"])
    func samplesInEveryStyle(style: String) async throws {
        let result = try await CLI.run(["render", "-f", "samples/", "--metric-style", style])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        try CLI.expectGolden(result.stdout, "samples.\(style).yaml")
    }

    @Test func jsonOutputIsAList() async throws {
        let result = try await CLI.run(["render", "-f", "samples/", "-o", "json"])
        #expect(result.status == 0)
        try CLI.expectGolden(result.stdout, "samples.object.json")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(list["kind"] as? String == "List")
        #expect((list["items"] as? [Any])?.count == 7)
        // JSON has no comments: the scale-to-zero note is on stderr.
        #expect(result.stderr.contains("note: batch/report-worker: minReplicas 0: hpa-operator scales Deployment report-worker between 0 and 1 replicas"))
    }

    @Test func invalidSampleReportsEveryProblemAndExits1() async throws {
        let result = try await CLI.run(["render", "-f", "samples/invalid/broken-annotations.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            result.stderrLines == [
                "shop/checkout: hpa.autoscaling.banzaicloud.io/maxReplicas: must be at least minReplicas (5), got 3",
                #"shop/checkout: prometheus.errors.hpa.autoscaling.banzaicloud.io/query: unexpected end of input at column 48, expected "," or ")""#,
                "shop/checkout: prometheus.latency.hpa.autoscaling.banzaicloud.io/targetValue: has no query: add prometheus.latency.hpa.autoscaling.banzaicloud.io/query",
                "shop/checkout: prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)",
            ])
    }

    @Test func validWorkloadsAreRenderedEvenWhenOthersAreInvalid() async throws {
        let result = try await CLI.run(["render", "-f", "samples/invalid/", "-f", "samples/flask-admin.yaml"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("name: flask-admin"))
        #expect(result.stderrLines.count == 4)
    }

    @Test func standardInputWithAListSkipsWhatItCannotAutoscale() async throws {
        let list = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "prod", "uid": "7c1e-42",
                            "annotations": {"hpa.autoscaling.banzaicloud.io/minReplicas": "2",
                                            "hpa.autoscaling.banzaicloud.io/maxReplicas": "6",
                                            "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "75"}}},
              {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "plain", "namespace": "prod"}},
              {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "prod"}},
              {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "old"}}
            ]}
            """
        let result = try await CLI.run(["render", "-f", "-"], stdin: list)
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                apiVersion: autoscaling/v2
                kind: HorizontalPodAutoscaler
                metadata:
                  labels:
                    app.kubernetes.io/managed-by: hpa-operator
                  name: web
                  namespace: prod
                  ownerReferences:
                  - apiVersion: apps/v1
                    blockOwnerDeletion: true
                    controller: true
                    kind: Deployment
                    name: web
                    uid: 7c1e-42
                spec:
                  maxReplicas: 6
                  metrics:
                  - resource:
                      name: cpu
                      target:
                        averageUtilization: 75
                        type: Utilization
                    type: Resource
                  minReplicas: 2
                  scaleTargetRef:
                    apiVersion: apps/v1
                    kind: Deployment
                    name: web

                """)
        #expect(
            result.stderrLines == [
                "<stdin>:7: skipped Deployment prod/plain: no hpa.autoscaling.banzaicloud.io annotations",
                "<stdin>:8: skipped Service prod/web: only Deployments and StatefulSets are autoscaled",
                "<stdin>:9: skipped Deployment old: apiVersion extensions/v1beta1 is not apps/v1",
            ])
    }

    /// `kubectl get -o json` escapes characters outside the BMP as surrogate pairs; libyaml refuses
    /// them, JSON does not, so the workload renders.
    @Test func jsonWithAnEscapedSurrogatePairIsRead() async throws {
        let deployment =
            #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod","labels":{"team":"\ud83d\ude00"},"annotations":{"hpa.autoscaling.banzaicloud.io/minReplicas":"1","hpa.autoscaling.banzaicloud.io/maxReplicas":"3","cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization":"70"}}}"#
        let result = try await CLI.run(["render", "-f", "-"], stdin: deployment)
        #expect(result.stderr == "")
        #expect(result.status == 0)
        #expect(result.stdout.contains("name: web"))
    }

    @Test func warningsDoNotFailTheRender() async throws {
        let path = try CLI.manifest(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              annotations:
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "3"
                hpa.autoscaling.banzaicloud.io/maxReplica: "30"
                cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization: "60"
            """)
        let result = try await CLI.run(["render", "-f", path])
        #expect(result.status == 0)
        #expect(result.stdout.contains("averageUtilization: 60"))
        #expect(result.stderrLines == ["warning: web: hpa.autoscaling.banzaicloud.io/maxReplica: is not a known hpa.autoscaling.banzaicloud.io annotation; ignored"])
    }

    @Test func yamlSyntaxErrorsNameFileAndLine() async throws {
        let path = try CLI.manifest(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
               annotations: broken
            """)
        let result = try await CLI.run(["render", "-f", path])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["error: \(path):5: line 5, column 15: mapping values are not allowed in this context"])
    }

    /// A broken document (a duplicate key, nesting past libyaml's limit) is named by its line in
    /// the file, in a line of its own, and the documents around it still render.
    @Test func aBrokenDocumentDoesNotStopTheOthers() async throws {
        func workload(_ name: String, extra: String = "") -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              namespace: prod\(extra)
              annotations:
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "3"
                cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization: "70"
            """
        }
        let deep = String(repeating: "[", count: 1200)
        let path = try CLI.manifest(
            [
                workload("first"), workload("twice", extra: "\n  name: again"), workload("third"),
                "--- \nkind: \(deep)", "...", workload("last"),
            ].joined(separator: "\n---\n"))
        let result = try await CLI.run(["render", "-f", path])
        #expect(result.status == 1)
        #expect(result.stdout.components(separatedBy: "kind: HorizontalPodAutoscaler").count == 4)
        for name in ["first", "third", "last"] { #expect(result.stdout.contains("name: \(name)\n")) }
        #expect(
            result.stderrLines == [
                "error: \(path):14: line 14, column 3: 'name' appears more than once in one mapping",
                "error: \(path):33: line 33, column 8: nested more than 1000 levels deep",
            ])
    }

    /// Ten levels of nine aliases (377 bytes, 3.5 billion nodes expanded) ran past 30 s and 4 GB;
    /// refused with the file and line, and the documents around it still render. Aliases used as
    /// people use them (shared annotations) are read.
    @Test func anAliasBombIsRefusedAndOrdinaryAliasesAreRead() async throws {
        var bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for (level, name) in "bcdefghij".enumerated() {
            let previous = Array("abcdefghij")[level]
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        let shared = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              annotations: &autoscaling
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "3"
                cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization: "70"
            spec:
              template:
                metadata:
                  annotations: *autoscaling
            """
        let path = try CLI.manifest(shared + "\n---\n" + bomb)
        let result = try await CLI.run(["render", "-f", path], timeout: .seconds(90))
        #expect(result.status == 1)
        #expect(result.stdout.contains("name: web\n"))
        #expect(result.stderrLines.count == 1 && result.stderrLines.first?.hasPrefix("error: \(path):14: its YAML aliases expand it past 100") == true, "\(result.stderr)")
        #expect(result.stderr.contains("nodes (an alias bomb?); write the values out instead of repeating aliases"), "\(result.stderr)")
    }

    @Test func wrongFieldTypesNameTheField() async throws {
        let path = try CLI.manifest(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: prod
            spec:
              replicas: many
            ---
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: db
              annotations: [a, b]
            """)
        let result = try await CLI.run(["render", "-f", path])
        #expect(result.status == 1)
        #expect(
            result.stderrLines == [
                "error: \(path):1: Deployment prod/web: spec.replicas: expected a whole number",
                "error: \(path):9: StatefulSet db: metadata.annotations: expected a mapping",
            ])
    }

    @Test func missingFileIsNamed() async throws {
        let result = try await CLI.run(["render", "-f", "no/such/file.yaml"])
        #expect(result.status == 1)
        #expect(result.stderrLines == ["error: no/such/file.yaml: no such file or directory"])
    }

    @Test func usageErrors() async throws {
        let noFile = try await CLI.run(["render"])
        #expect(noFile.status == 64)
        #expect(noFile.stderr.contains("-f"))
        let badStyle = try await CLI.run(["render", "-f", "samples/", "--metric-style", "pods"])
        #expect(badStyle.status == 64)
        #expect(badStyle.stderr.contains("pods"))
    }
}
