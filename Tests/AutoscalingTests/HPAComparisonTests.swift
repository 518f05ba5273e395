import Foundation
import KubeModel
import Testing

@testable import Autoscaling

@Suite("Desired vs live HPA")
struct HPAComparisonTests {
    static func fixture(_ name: String) throws -> HorizontalPodAutoscaler {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/k8s-wire/\(name)")
        return try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: Data(contentsOf: url))
    }

    /// What was submitted to produce hpa-v2-defaulted-behavior.json.
    static var submitted: HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "beh", namespace: "default"),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "beh"),
                minReplicas: nil, maxReplicas: 5,
                metrics: [
                    MetricSpec(
                        object: ObjectMetricSource(
                            describedObject: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "beh"),
                            metric: MetricIdentifier(name: "rps"), target: .averageValue(try! Quantity(parsing: "40000m"))))
                ],
                behavior: HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 60))))
    }

    @Test func whatTheApiserverStoredIsWhatWasSent() throws {
        let live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        #expect(HPAComparison.differences(desired: Self.submitted, live: live, fieldManager: "hpa-operator") == [])
        // The text of the two is different on almost every line; a textual comparison would write forever.
        #expect(try JSONEncoder().encode(Self.submitted.spec) != JSONEncoder().encode(live.spec))
    }

    @Test func realChangesAreFound() throws {
        let live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        var desired = Self.submitted
        desired.spec.maxReplicas = 6
        desired.spec.behavior?.scaleDown?.stabilizationWindowSeconds = 30
        desired.spec.metrics?[0].object?.target = .averageValue(Quantity(41))
        desired.metadata.labels = ["app.kubernetes.io/managed-by": "hpa-operator"]
        desired.metadata.annotations = ["metric-config.object.rps.prometheus/query": "sum(rate(x[1m]))"]
        #expect(
            HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == [
                "metadata.annotations.metric-config.object.rps.prometheus/query", "metadata.labels.app.kubernetes.io/managed-by",
                "spec.behavior", "spec.maxReplicas", "spec.metrics",
            ])
    }

    @Test func fieldsWeDoNotOwnAreNotOurs() throws {
        // Someone else set a behavior on the HPA we applied without one: an apply would keep it.
        var live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        var desired = Self.submitted
        desired.spec.behavior = nil
        #expect(HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == [])
        // But when we applied it, leaving it out removes it.
        live.metadata.managedFields = .array([
            .object([
                "manager": .string("hpa-operator"), "operation": .string("Apply"),
                "fieldsV1": .object([
                    "f:spec": .object(["f:behavior": .object([:])]),
                    "f:metadata": .object(["f:annotations": .object(["f:metric-config.object.old.prometheus/query": .object([:])])]),
                ]),
            ])
        ])
        live.metadata.annotations?["metric-config.object.old.prometheus/query"] = "vector(1)"
        live.metadata.annotations?["someone.else/note"] = "kept"
        #expect(
            HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == [
                "metadata.annotations.metric-config.object.old.prometheus/query", "spec.behavior",
            ])
    }

    /// Created by POST, so our Update entry owns what it set: an apply would keep a field we stop
    /// setting, so it goes by merge patch (carrying spec.metrics); what only our Apply entry owns,
    /// or no entry of ours, needs no patch.
    @Test func fieldsOurUpdateEntryOwnsAreDroppedByMergePatch() throws {
        var live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        live.metadata.annotations = ["metric-config.object.rps.prometheus/interval": "15s", "metric-config.object.rps.prometheus/query": "sum(x)", "someone.else/note": "kept"]
        func owned(_ operation: String) -> JSONValue {
            .array([
                .object([
                    "manager": .string("hpa-operator"), "operation": .string(operation),
                    "fieldsV1": .object([
                        "f:spec": .object(["f:behavior": .object([".": .object([:]), "f:scaleDown": .object([:])])]),
                        "f:metadata": .object([
                            "f:annotations": .object([
                                ".": .object([:]), "f:metric-config.object.rps.prometheus/interval": .object([:]),
                                "f:metric-config.object.rps.prometheus/query": .object([:]),
                            ])
                        ]),
                    ]),
                ])
            ])
        }
        var desired = Self.submitted
        desired.metadata.annotations = ["metric-config.object.rps.prometheus/query": "sum(x)"]
        desired.spec.behavior = HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(stabilizationWindowSeconds: 30))
        live.metadata.managedFields = owned("Update")
        #expect(
            HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == [
                "metadata.annotations.metric-config.object.rps.prometheus/interval", "spec.behavior",
            ])
        let patch = try #require(try HPAComparison.dropPatch(desired: desired, live: live, fieldManager: "hpa-operator"))
        #expect(patch["metadata"] == .object(["annotations": .object(["metric-config.object.rps.prometheus/interval": .null])]))
        #expect(patch["spec"]?["metrics"] == (try JSONValue(parsing: JSONEncoder().encode(desired.spec.metrics))))
        // The stored scaleDown rules (window 60 and the defaults) go; scaleUp gets its window.
        #expect(patch["spec"]?["behavior"]?["scaleDown"] == .null)
        #expect(patch["spec"]?["behavior"]?["scaleUp"]?["stabilizationWindowSeconds"] == .integer(30))
        // Patched, nothing is left to write.
        let patched = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: JSONEncoder().encode(try JSONValue(parsing: JSONEncoder().encode(live)).mergePatched(with: patch)))
        #expect(HPAComparison.differences(desired: desired, live: patched, fieldManager: "hpa-operator") == [])
        #expect(patched.metadata.annotations?["someone.else/note"] == "kept")

        live.metadata.managedFields = owned("Apply")
        #expect(try HPAComparison.dropPatch(desired: desired, live: live, fieldManager: "hpa-operator") == nil)
        live.metadata.managedFields = nil
        #expect(try HPAComparison.dropPatch(desired: desired, live: live, fieldManager: "hpa-operator") == nil)
    }

    /// The real v1.26 apiserver stores a cpu Utilization metric last, whatever order it was sent in
    /// (seen on the real control plane): the order is not a difference, a missing metric is.
    @Test func metricOrderIsNotADifference() throws {
        var desired = Self.submitted
        let cpu = MetricSpec(resource: ResourceMetricSource(name: "cpu", target: MetricTarget(type: .utilization, averageUtilization: 70)))
        desired.spec.metrics = [cpu] + (desired.spec.metrics ?? [])
        var live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        live.spec.metrics = (live.spec.metrics ?? []) + [cpu]
        #expect(HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == [])
        live.spec.metrics = [cpu]
        #expect(HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == ["spec.metrics"])
        live.spec.metrics = [cpu, cpu] + (Self.submitted.spec.metrics ?? [])
        #expect(HPAComparison.differences(desired: desired, live: live, fieldManager: "hpa-operator") == ["spec.metrics"])
    }

    @Test func ownerReferenceMustBeThere() throws {
        var desired = Self.submitted
        desired.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "beh", uid: "u", controller: true, blockOwnerDeletion: true)]
        #expect(HPAComparison.differences(desired: desired, live: try Self.fixture("hpa-v2-defaulted-behavior.json"), fieldManager: "hpa-operator") == ["metadata.ownerReferences"])
    }

    @Test func defaultingMatchesTheCapture() throws {
        let live = try Self.fixture("hpa-v2-defaulted-behavior.json")
        #expect(Self.submitted.spec.defaulted.behavior == live.spec.behavior)
        #expect(Self.submitted.spec.defaulted.minReplicas == 1)
    }
}
