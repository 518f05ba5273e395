import Foundation
import Testing

@testable import KubeModel

/// Real apiserver bytes (copied from shared/k8s-wire) decode into our types, and re-encoding
/// keeps every field we model.
@Suite("Wire fixtures")
struct FixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/k8s-wire")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func json(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data).withoutNullMembers
    }

    /// Decodes the fixture as T, encodes it again, and returns (original, re-encoded) as JSON trees.
    static func roundTrip<T: Codable>(_ type: T.Type, _ name: String) throws -> (JSONValue, JSONValue) {
        let original = try data(name)
        let decoded = try JSONDecoder().decode(T.self, from: original)
        return (try json(original), try json(JSONEncoder().encode(decoded)))
    }

    /// Every member of `subset` is in `whole` with the same value.
    static func isSubdocument(_ subset: JSONValue, of whole: JSONValue) -> Bool {
        switch (subset, whole) {
        case (.object(let part), .object(let full)):
            return part.allSatisfy { key, value in full[key].map { isSubdocument(value, of: $0) } ?? false }
        case (.array(let part), .array(let full)):
            return part.count == full.count && zip(part, full).allSatisfy { isSubdocument($0, of: $1) }
        default:
            return subset == whole
        }
    }

    @Test(arguments: ["hpa-v2-object-get-with-status.json", "hpa-v2-external-get.json", "hpa-v2-defaulted-behavior.json", "ssa-apply-response.json"])
    func hpaRoundTripsCompletely(file: String) throws {
        let (original, reencoded) = try Self.roundTrip(HorizontalPodAutoscaler.self, file)
        #expect(original == reencoded)
    }

    @Test(arguments: [
        "status-401-unauthorized.json", "status-404-notfound.json", "status-409-alreadyexists.json",
        "status-409-conflict.json", "status-410-list-expired.json", "status-422-invalid-hpa.json",
    ])
    func statusRoundTripsCompletely(file: String) throws {
        let (original, reencoded) = try Self.roundTrip(Status.self, file)
        #expect(original == reencoded)
    }

    @Test func deploymentKeepsTheModelledFields() throws {
        let (original, reencoded) = try Self.roundTrip(Deployment.self, "deployment-get.json")
        #expect(Self.isSubdocument(reencoded, of: original))
        let deployment = try JSONDecoder().decode(Deployment.self, from: Self.data("deployment-get.json"))
        #expect(deployment.metadata.name == "d-obj")
        #expect(deployment.metadata.uid == "aa0e3617-cb96-4db0-87b9-ddf3d86a4d37")
        #expect(deployment.metadata.generation == 2)
        #expect(deployment.spec?.replicas == 3)
        #expect(deployment.spec?.selector?.matchLabels == ["app": "d-obj"])
        #expect(deployment.spec?.template?.metadata?.labels == ["app": "d-obj"])
        #expect(deployment.status?.replicas == 3)
        #expect(deployment.metadata.managedFields != nil)
    }

    @Test func deploymentListKeepsItsResourceVersion() throws {
        let list = try JSONDecoder().decode(ObjectList<Deployment>.self, from: Self.data("deployment-list.json"))
        #expect(list.metadata?.resourceVersion == "292")
        #expect(list.items.count == 4)
        #expect(list.items.allSatisfy { $0.metadata.uid != nil && $0.metadata.resourceVersion != nil })
        let (original, reencoded) = try Self.roundTrip(ObjectList<Deployment>.self, "deployment-list.json")
        #expect(Self.isSubdocument(reencoded, of: original))
    }

    @Test func hpaFieldsDecodeToTheirMeaning() throws {
        let hpa = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: Self.data("hpa-v2-object-get-with-status.json"))
        let object = try #require(hpa.spec.metrics?.first?.object)
        #expect(hpa.spec.metrics?.first?.type == .object)
        #expect(object.target.type == .averageValue)
        #expect(object.target.averageValue == Quantity(100))
        #expect(object.target.value == Quantity(0))
        #expect(hpa.status?.currentMetrics?.first?.object?.current.averageValue?.description == "83334m")
        #expect(hpa.status?.conditions?.map(\.type) == ["AbleToScale", "ScalingActive", "ScalingLimited"])

        let external = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: Self.data("hpa-v2-external-get.json"))
        #expect(external.spec.metrics?.first?.external?.metric.selector?.selector.description == "queue=orders,type=prometheus")

        let defaulted = try JSONDecoder().decode(HorizontalPodAutoscaler.self, from: Self.data("hpa-v2-defaulted-behavior.json"))
        #expect(defaulted.spec.behavior?.scaleUp?.policies?.count == 2)
        #expect(defaulted.spec.behavior?.scaleDown?.stabilizationWindowSeconds == 60)
    }

    @Test func invalidStatusCarriesItsCauses() throws {
        let status = try JSONDecoder().decode(Status.self, from: Self.data("status-422-invalid-hpa.json"))
        #expect(status.code == 422)
        #expect(status.reason == "Invalid")
        #expect(status.details?.causes?.map(\.field) == ["spec.maxReplicas", "spec.metrics[0].object.target.averageValue"])
    }

    @Test func encodingOmitsAbsentFields() throws {
        let meta = ObjectMeta(name: "x")
        #expect(String(decoding: try JSONEncoder().encode(meta), as: UTF8.self) == #"{"name":"x"}"#)
    }
}
