import Foundation
import KubeModel
import Testing

@Suite struct ManagedFieldsDecodingTests {
    func meta(_ managedFields: String) throws -> ObjectMeta {
        try JSONDecoder().decode(ObjectMeta.self, from: Data(#"{"name":"web","managedFields":\#(managedFields)}"#.utf8))
    }

    /// The typed decode reads exactly what a generic decode reads, and encodes back the same.
    @Test(arguments: [
        #"[{"manager":"hpa-operator","operation":"Apply","apiVersion":"autoscaling/v2","time":"2026-12-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{"f:metric-config.object.rps.prometheus/query":{}}},"f:spec":{"f:metrics":{},"f:scaleTargetRef":{"f:name":{}}}}},{"manager":"kube-controller-manager","operation":"Update","subresource":"status","fieldsV1":{"f:status":{".":{},"k:{\"type\":\"AbleToScale\"}":{}}}}]"#,
        // Other shapes are kept as they are.
        #"[{"manager":"odd","fieldsV1":{"f:spec":5}}]"#, #"{"unexpected":true}"#, "[]",
    ])
    func typedDecodeMatchesGenericDecode(_ managedFields: String) throws {
        let decoded = try meta(managedFields)
        #expect(decoded.managedFields == (try JSONValue(parsing: Data(managedFields.utf8))))
        let again = try JSONDecoder().decode(ObjectMeta.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }

    @Test func absentOrNullIsNilAndIsNotWritten() throws {
        #expect(try JSONDecoder().decode(ObjectMeta.self, from: Data(#"{"name":"web"}"#.utf8)).managedFields == nil)
        #expect(try meta("null").managedFields == nil)
        let encoded = String(decoding: try JSONEncoder().encode(ObjectMeta(name: "web")), as: UTF8.self)
        #expect(!encoded.contains("managedFields"))
    }
}
