import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Testing
import TestSupport

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
            let cluster = try Cluster.current
            let double = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
            defer { Task { await double.stop() } }
            let doubleClient = KubeClient(config: ClientConfig(server: double.url))
            let namespace = "agree-\(style.rawValue)"
            try await cluster.makeNamespace(namespace)
            guard case .valid(let spec, _) = AnnotationParser.parse(Self.annotations) else { Issue.record("annotations do not parse"); return }
            let hpa = HPABuilder.build(spec, for: WorkloadReference(kind: "Deployment", name: "web", namespace: namespace, uid: nil), style: style)

            let real = try await cluster.client.apply(hpa, fieldManager: "hpa-operator")
            let fake = try await doubleClient.apply(hpa, fieldManager: "hpa-operator")
            let (realSpec, fakeSpec) = (try Self.canonical(real.spec), try Self.canonical(fake.spec))
            #expect(realSpec == fakeSpec, "spec as stored:\nreal:   \(realSpec)\ndouble: \(fakeSpec)")
            #expect(real.metadata.annotations == fake.metadata.annotations)
            #expect(real.metadata.labels == fake.metadata.labels)
            // Applying the same body again changes nothing on either.
            let realAgain = try await cluster.client.apply(hpa, fieldManager: "hpa-operator")
            let fakeAgain = try await doubleClient.apply(hpa, fieldManager: "hpa-operator")
            #expect(realAgain.metadata.resourceVersion == real.metadata.resourceVersion)
            #expect(fakeAgain.metadata.resourceVersion == fake.metadata.resourceVersion)
            // The operator's comparison finds nothing to write against what either stored.
            #expect(HPAComparison.differences(desired: hpa, live: real, fieldManager: "hpa-operator") == [])
            #expect(HPAComparison.differences(desired: hpa, live: fake, fieldManager: "hpa-operator") == [])
        }

        @Test func errorsCarryTheSameCodesAndReasons() async throws {
            let cluster = try Cluster.current
            let double = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
            defer { Task { await double.stop() } }
            let doubleClient = KubeClient(config: ClientConfig(server: double.url))
            let namespace = "agree-errors"
            try await cluster.makeNamespace(namespace)
            guard case .valid(let spec, _) = AnnotationParser.parse(Self.annotations) else { Issue.record("annotations do not parse"); return }
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
                ("update with a stale resourceVersion", { client, live in
                    var stale = live
                    stale.metadata.resourceVersion = "1"
                    _ = try await client.update(stale)
                }),
                ("delete with another uid", { client, _ in try await client.delete(HorizontalPodAutoscaler.self, namespace: namespace, name: "web", uid: UUID().uuidString.lowercased()) }),
                ("apply minReplicas above maxReplicas", { client, _ in
                    var invalid = hpa
                    invalid.spec.minReplicas = 20
                    _ = try await client.apply(invalid, fieldManager: "hpa-operator")
                }),
            ]
            for (what, operation) in operations {
                let real = await outcome { try await operation(cluster.client, stored["real"]!) }
                let fake = await outcome { try await operation(doubleClient, stored["double"]!) }
                #expect(real == fake, "\(what): the real apiserver answered \(real), the double \(fake)")
            }
        }

        /// JSON with sorted keys, so two stored specs compare as text.
        static func canonical(_ spec: HorizontalPodAutoscalerSpec) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(spec), as: UTF8.self)
        }
    }
}
