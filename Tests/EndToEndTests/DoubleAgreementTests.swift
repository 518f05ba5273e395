import Autoscaling
import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

extension RealCluster {
    /// The apiserver double stands in for the real one in the fast suites, so it must answer as the
    /// real one does wherever both are used: the same requests go to both, and the stored objects
    /// and error Status codes and reasons must match. When they differ, the real one is right.
    @Suite("The apiserver double agrees with the real apiserver") struct DoubleAgreement {
        static let annotations = [
            "hpa.autoscaling.banzaicloud.io/minReplicas": "2",
            "hpa.autoscaling.banzaicloud.io/maxReplicas": "10",
            "hpa.autoscaling.banzaicloud.io/scaleDownStabilizationWindowSeconds": "60",
            "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70",
            "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "sum(rate(http_requests_total[2m]))",
            "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40000m",
            "prometheus.latency.hpa.autoscaling.banzaicloud.io/query": "max(latency_seconds)",
            "prometheus.latency.hpa.autoscaling.banzaicloud.io/targetValue": "1.5",
        ]

        @Test(arguments: MetricStyle.allCases)
        func appliedHPAsAreStoredAlike(style: MetricStyle) async throws {
            let namespace = "agree-\(style.rawValue)"
            let (cluster, double, doubleClient) = try await Self.realAndDouble(namespace)
            defer { Task { await double.stop() } }
            guard case .valid(let spec, _) = AnnotationParser.parse(Self.annotations) else {
                Issue.record("annotations do not parse")
                return
            }
            let hpa = HPABuilder.build(spec, for: WorkloadReference(kind: "Deployment", name: "web", namespace: namespace, uid: nil), style: style)

            let real = try await cluster.client.apply(hpa, fieldManager: "hpa-operator")
            let fake = try await doubleClient.apply(hpa, fieldManager: "hpa-operator")
            let (realSpec, fakeSpec) = (try Self.canonical(real.spec), try Self.canonical(fake.spec))
            #expect(realSpec == fakeSpec, "spec as stored:\nreal:   \(realSpec)\ndouble: \(fakeSpec)")
            #expect(real.metadata.annotations == fake.metadata.annotations)
            #expect(real.metadata.labels == fake.metadata.labels)
            // Applying the same body again changes nothing on either: the same generation (the
            // resourceVersion may move meanwhile: the real HPA controller writes the status).
            let realAgain = try await cluster.client.apply(hpa, fieldManager: "hpa-operator")
            let fakeAgain = try await doubleClient.apply(hpa, fieldManager: "hpa-operator")
            #expect(
                realAgain.metadata.generation == real.metadata.generation && Self.ours(realAgain) == Self.ours(real),
                "our managedFields entry, first: \(Self.ours(real)), again: \(Self.ours(realAgain))")
            #expect(fakeAgain.metadata.resourceVersion == fake.metadata.resourceVersion)
            // The operator's comparison finds nothing to write against what either stored.
            #expect(HPAComparison.differences(desired: hpa, live: real, fieldManager: "hpa-operator") == [])
            #expect(HPAComparison.differences(desired: hpa, live: fake, fieldManager: "hpa-operator") == [])
        }

        @Test func errorsCarryTheSameCodesAndReasons() async throws {
            let namespace = "agree-errors"
            let (cluster, double, doubleClient) = try await Self.realAndDouble(namespace)
            defer { Task { await double.stop() } }
            guard case .valid(let spec, _) = AnnotationParser.parse(Self.annotations) else {
                Issue.record("annotations do not parse")
                return
            }
            let hpa = HPABuilder.build(spec, for: WorkloadReference(kind: "Deployment", name: "web", namespace: namespace, uid: nil), style: .object)

            func outcome(_ operation: () async throws -> Void) async -> String {
                do {
                    try await operation()
                    return "ok"
                } catch let error as KubeError {
                    return "\(error.code ?? 0) \(error.status?.reason ?? "")"
                } catch {
                    return "\(error)"
                }
            }
            var stored: [String: HorizontalPodAutoscaler] = [:]
            for (name, client) in [("real", cluster.client), ("double", doubleClient)] {
                stored[name] = try await client.create(hpa)
            }
            let operations: [(String, @Sendable (KubeClient, HorizontalPodAutoscaler) async throws -> Void)] = [
                ("get a missing HPA", { (client: KubeClient, _: HorizontalPodAutoscaler) in _ = try await client.get(HorizontalPodAutoscaler.self, namespace: namespace, name: "missing") }),
                ("create an existing HPA", { client, _ in _ = try await client.create(hpa) }),
                (
                    "update with a stale resourceVersion",
                    { client, live in
                        var stale = live
                        stale.metadata.resourceVersion = "1"
                        _ = try await client.update(stale)
                    }
                ),
                ("delete with another uid", { client, _ in try await client.delete(HorizontalPodAutoscaler.self, namespace: namespace, name: "web", uid: UUID().uuidString.lowercased()) }),
                (
                    "apply minReplicas above maxReplicas",
                    { client, _ in
                        var invalid = hpa
                        invalid.spec.minReplicas = 20
                        _ = try await client.apply(invalid, fieldManager: "hpa-operator")
                    }
                ),
            ]
            for (what, operation) in operations {
                let real = await outcome { try await operation(cluster.client, stored["real"]!) }
                let fake = await outcome { try await operation(doubleClient, stored["double"]!) }
                #expect(real == fake, "\(what): the real apiserver answered \(real), the double \(fake)")
            }
        }

        /// The scale subresource, as scale to zero writes it: the same Scale back, the workload's
        /// spec.replicas changed, and a negative count refused alike.
        @Test func theScaleSubresourceIsWrittenAlike() async throws {
            let namespace = "agree-scale"
            let (cluster, double, doubleClient) = try await Self.realAndDouble(namespace)
            defer { Task { await double.stop() } }
            let deployment = try JSONSerialization.data(
                withJSONObject: [
                    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                    "spec": [
                        "replicas": 2, "selector": ["matchLabels": ["app": "web"]],
                        "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "app", "image": "registry.example.com/app:1"]]]],
                    ],
                ] as [String: Any])
            for client in [cluster.client, doubleClient] {
                _ = try await client.raw("POST", "/apis/apps/v1/namespaces/\(namespace)/deployments", body: deployment)
            }
            for replicas: Int32 in [0, 3] {
                let real = try await cluster.client.setReplicas(Deployment.self, namespace: namespace, name: "web", to: replicas)
                let fake = try await doubleClient.setReplicas(Deployment.self, namespace: namespace, name: "web", to: replicas)
                #expect(real.kind == fake.kind && real.apiVersion == fake.apiVersion && real.spec == fake.spec && real.metadata.name == fake.metadata.name)
                // A count of 0 is left out of the Scale (omitempty).
                #expect((real.spec?.replicas ?? 0) == replicas)
                for client in [cluster.client, doubleClient] {
                    #expect(try await client.get(Deployment.self, namespace: namespace, name: "web").spec?.replicas == replicas)
                }
            }
            var refusals: [String] = []
            for client in [cluster.client, doubleClient] {
                do {
                    try await client.setReplicas(Deployment.self, namespace: namespace, name: "web", to: -1)
                    refusals.append("ok")
                } catch let error as KubeError {
                    refusals.append("\(error.code ?? 0) \(error.status?.reason ?? "")")
                }
            }
            #expect(refusals[0] == refusals[1], "the real apiserver answered \(refusals[0]), the double \(refusals[1])")
            // A scale conditional on the workload's resourceVersion: written at that version,
            // refused (409 Conflict) at an older one.
            var conditional: [String] = []
            for client in [cluster.client, doubleClient] {
                let current = try #require(try await client.get(Deployment.self, namespace: namespace, name: "web").metadata.resourceVersion)
                try await client.setReplicas(Deployment.self, namespace: namespace, name: "web", to: 2, resourceVersion: current)
                do {
                    try await client.setReplicas(Deployment.self, namespace: namespace, name: "web", to: 5, resourceVersion: current)
                    conditional.append("ok")
                } catch let error as KubeError {
                    conditional.append("\(error.code ?? 0) \(error.status?.reason ?? "")")
                }
                #expect(try await client.get(Deployment.self, namespace: namespace, name: "web").spec?.replicas == 2)
            }
            #expect(conditional == ["409 Conflict", "409 Conflict"], "\(conditional)")
        }

        /// Server-side apply's bookkeeping: the same sequence of applies and a merge patch by another
        /// manager gives the same managedFields and the same object on both, and the same conflict.
        @Test func fieldOwnershipFollowsTheSameRules() async throws {
            let namespace = "agree-fields"
            let (cluster, double, doubleClient) = try await Self.realAndDouble(namespace)
            defer { Task { await double.stop() } }
            let path = "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers/web"
            func hpa(owner: (name: String, uid: String), minReplicas: Bool, maxReplicas: Int) -> Data {
                var spec: [String: Any] = [
                    "scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "maxReplicas": maxReplicas,
                    "metrics": [
                        [
                            "type": "Object",
                            "object": [
                                "describedObject": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                                "metric": ["name": "rps"], "target": ["type": "Value", "value": "40"],
                            ],
                        ]
                    ],
                ]
                if minReplicas { spec["minReplicas"] = 1 }
                return try! JSONSerialization.data(
                    withJSONObject: [
                        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                        "metadata": [
                            "name": "web", "namespace": namespace, "labels": ["app.kubernetes.io/managed-by": "hpa-operator"],
                            "annotations": ["metric-config.object.rps.prometheus/query": "sum(x)"],
                            "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": owner.name, "uid": owner.uid, "controller": true, "blockOwnerDeletion": true]],
                        ],
                        "spec": spec,
                    ] as [String: Any], options: [.withoutEscapingSlashes])  // YAML has no `\/` escape
            }
            // Owners that exist (the garbage collector deletes an HPA whose owner does not), without
            // our annotations and of other names (the operator deletes the HPA of such a workload's name).
            let first = hpa(owner: ("owner-one", try await cluster.createWorkload(namespace: namespace, name: "owner-one")), minReplicas: true, maxReplicas: 10)
            let second = hpa(owner: ("owner-two", try await cluster.createWorkload(namespace: namespace, name: "owner-two")), minReplicas: false, maxReplicas: 10)
            let patch = Data(#"{"spec":{"maxReplicas":12},"metadata":{"labels":{"team":"a"}}}"#.utf8)
            var results: [String: [String]] = [:]
            for (name, client) in [("real", cluster.client), ("double", doubleClient)] {
                var steps: [String] = []
                func record(_ data: Data) throws { steps += try Self.fieldsAndObject(data) }
                try record(try await client.raw("PATCH", path, query: [("fieldManager", "hpa-operator"), ("force", "true")], body: first, contentType: "application/apply-patch+yaml"))
                try record(try await client.raw("PATCH", path, query: [("fieldManager", "kubectl-patch")], body: patch, contentType: "application/merge-patch+json"))
                do {
                    _ = try await client.raw("PATCH", path, query: [("fieldManager", "hpa-operator")], body: second, contentType: "application/apply-patch+yaml")
                    steps.append("unforced apply: accepted")
                } catch let error as KubeError {
                    steps.append("unforced apply: \(error.code ?? 0) \(error.status?.reason ?? "") \(error.status?.message ?? "")")
                }
                try record(try await client.raw("PATCH", path, query: [("fieldManager", "hpa-operator"), ("force", "true")], body: second, contentType: "application/apply-patch+yaml"))
                results[name] = steps
            }
            let real = try #require(results["real"])
            let fake = try #require(results["double"])
            for (index, (expected, actual)) in zip(real, fake).enumerated() {
                #expect(expected == actual, "step \(index + 1): the real apiserver gave\n  \(expected)\nthe double\n  \(actual)")
            }
        }

        /// The life of an HPA the operator creates by POST: owned by an Update entry, so a field it
        /// stops setting is dropped by a merge patch, which on 1.26 must carry `spec.metrics` too (an
        /// Object AverageValue target comes back with `value: "0"`, which every write but apply
        /// refuses); then forced applies take it on. The same steps give the same managedFields,
        /// objects and refusals on both.
        @Test func anHPACreatedByPOSTLosesTheFieldsItStopsSetting() async throws {
            let namespace = "agree-post"
            let (cluster, double, doubleClient) = try await Self.realAndDouble(namespace)
            defer { Task { await double.stop() } }
            let collection = "/apis/autoscaling/v2/namespaces/\(namespace)/horizontalpodautoscalers"
            let uid = try await cluster.createWorkload(namespace: namespace, name: "owner")
            let metrics: [[String: Any]] = [
                [
                    "type": "Object",
                    "object": [
                        "describedObject": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"],
                        "metric": ["name": "rps"], "target": ["type": "AverageValue", "averageValue": "40"],
                    ],
                ]
            ]
            func hpa(interval: Bool, maxReplicas: Int) -> Data {
                var annotations = ["metric-config.object.rps.prometheus/query": "sum(x)"]
                var spec: [String: Any] = ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": 1, "maxReplicas": maxReplicas, "metrics": metrics]
                if interval {
                    annotations["metric-config.object.rps.prometheus/interval"] = "15s"
                    spec["behavior"] = ["scaleDown": ["stabilizationWindowSeconds": 60]]
                }
                return try! JSONSerialization.data(
                    withJSONObject: [
                        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                        "metadata": [
                            "name": "web", "namespace": namespace, "labels": ["app.kubernetes.io/managed-by": "hpa-operator"], "annotations": annotations,
                            "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": "owner", "uid": uid, "controller": true, "blockOwnerDeletion": true]],
                        ],
                        "spec": spec,
                    ] as [String: Any], options: [.withoutEscapingSlashes])
            }
            let drop = ["metadata": ["annotations": ["metric-config.object.rps.prometheus/interval": NSNull()]], "spec": ["behavior": NSNull()]] as [String: Any]
            var dropWithMetrics = drop
            dropWithMetrics["spec"] = ["behavior": NSNull(), "metrics": metrics]
            let (annotationsOnly, withMetrics) = (try JSONSerialization.data(withJSONObject: drop), try JSONSerialization.data(withJSONObject: dropWithMetrics))
            var results: [String: [String]] = [:]
            for (name, client) in [("real", cluster.client), ("double", doubleClient)] {
                var steps: [String] = []
                func record(_ data: Data) throws { steps += try Self.fieldsAndObject(data) }
                let manager = [("fieldManager", Optional("hpa-operator"))]
                try record(try await client.raw("POST", collection, query: manager, body: hpa(interval: true, maxReplicas: 10)))
                do {
                    _ = try await client.raw("PATCH", collection + "/web", query: manager, body: annotationsOnly, contentType: "application/merge-patch+json")
                    steps.append("merge patch without spec.metrics: accepted")
                } catch let error as KubeError {
                    steps.append("merge patch without spec.metrics: \(error.code ?? 0) \(error.status?.reason ?? "")")
                }
                try record(try await client.raw("PATCH", collection + "/web", query: manager, body: withMetrics, contentType: "application/merge-patch+json"))
                try record(
                    try await client.raw("PATCH", collection + "/web", query: manager + [("force", "true")], body: hpa(interval: false, maxReplicas: 12), contentType: "application/apply-patch+yaml"))
                results[name] = steps
            }
            let real = try #require(results["real"])
            let fake = try #require(results["double"])
            #expect(real.count == fake.count)
            for (index, (expected, actual)) in zip(real, fake).enumerated() {
                #expect(expected == actual, "step \(index + 1): the real apiserver gave\n  \(expected)\nthe double\n  \(actual)")
            }
        }

        /// What the bookkeeping tests compare of a stored HPA: every managedFields entry (manager,
        /// operation, fields) and the fields the operator sets.
        static func fieldsAndObject(_ data: Data) throws -> [String] {
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let metadata = object["metadata"] as? [String: Any] ?? [:]
            let fields = (metadata["managedFields"] as? [[String: Any]] ?? []).map { entry in
                "\(entry["manager"] ?? "") \(entry["operation"] ?? "") \(Self.sorted(entry["fieldsV1"] ?? [:]))"
            }
            let spec = object["spec"] as? [String: Any] ?? [:]
            return [
                "fields: \(fields.joined(separator: " | "))",
                "object: min \(spec["minReplicas"] ?? "-") max \(spec["maxReplicas"] ?? "-") labels \(Self.sorted(metadata["labels"] ?? [:])) owners \(Self.sorted(metadata["ownerReferences"] ?? []))"
                    + " annotations \(Self.sorted(metadata["annotations"] ?? [:])) behavior \(Self.sorted(spec["behavior"] ?? [:])) metrics \(Self.sorted(spec["metrics"] ?? []))",
            ]
        }

        /// The real cluster with `namespace` made, and a fresh double with the admission of the
        /// release the real apiserver reports on `/version`, so each agreement is checked
        /// against the release it was captured from.
        static func realAndDouble(_ namespace: String) async throws -> (Cluster, FakeAPIServer, KubeClient) {
            let cluster = try Cluster.current
            try await cluster.makeNamespace(namespace)
            let version = try JSONSerialization.jsonObject(with: try await cluster.client.raw("GET", "/version")) as? [String: Any]
            let gitVersion = try #require(version?["gitVersion"] as? String, "the apiserver's /version names no gitVersion")
            let release = try #require(FakeAPIServer.Release(gitVersion: gitVersion), "no release of the double for \(gitVersion)")
            let double = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.admission(for: release)))
            return (cluster, double, KubeClient(config: ClientConfig(server: double.url)))
        }

        /// Our managedFields entries without their `time`: the real v1.26 apiserver moves it on a
        /// re-apply of the same body when a second has passed (seen here: 12:39:22 → 12:39:23,
        /// the fields alike), which made this check fail about one run in five.
        static func ours(_ hpa: HorizontalPodAutoscaler) -> [JSONValue] {
            guard case .array(let entries)? = hpa.metadata.managedFields else { return [] }
            return entries.filter { $0["manager"]?.stringValue == "hpa-operator" }.map { entry in
                guard case .object(var fields) = entry else { return entry }
                fields["time"] = nil
                return .object(fields)
            }
        }

        /// A JSON value as text with sorted keys.
        static func sorted(_ value: Any) -> String {
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return "\(value)" }
            return String(decoding: data, as: UTF8.self)
        }

        /// JSON with sorted keys, so two stored specs compare as text.
        static func canonical(_ spec: HorizontalPodAutoscalerSpec) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(spec), as: UTF8.self)
        }
    }
}
