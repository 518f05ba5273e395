import Foundation
import KubeModel
import Testing

@Suite struct JSONWriterTests {
    /// What the writer produces reads back, through the types' own decoding, as what was written.
    @Test func metricsListsReadBackEqual() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} snowman ☃ slash /"
        let external = MetricsList(
            kind: "ExternalMetricValueList", apiVersion: "external.metrics.k8s.io/v1beta1",
            items: [
                ExternalMetricValue(metricName: "queue", metricLabels: ["b": awkward, "a": "1"], timestamp: "2024-05-01T12:00:00Z", value: Quantity(milli: 1_500))
            ])
        #expect(try JSONDecoder().decode(MetricsList<ExternalMetricValue>.self, from: Data(JSONWriter.write(external))) == external)

        let object = DescribedObject(kind: "Deployment", namespace: "shop", name: "web", apiVersion: "apps/v1")
        let selector = LabelSelector(matchLabels: ["verb": "GET"], matchExpressions: [LabelSelectorRequirement(key: "x", operator: "In", values: ["1", "2"])])
        let v2 = MetricsList(
            kind: "MetricValueList", apiVersion: "custom.metrics.k8s.io/v1beta2",
            items: [
                MetricValueV1Beta2(describedObject: object, metric: "rps", selector: selector, timestamp: "2024-05-01T12:00:00Z", value: Quantity(40)),
                MetricValueV1Beta2(describedObject: object, metric: "rps", selector: nil, timestamp: "2024-05-01T12:00:00Z", value: Quantity(milli: 9_167)),
            ])
        #expect(try JSONDecoder().decode(MetricsList<MetricValueV1Beta2>.self, from: Data(JSONWriter.write(v2))) == v2)

        // v1beta1 writes `selector: null`, as the Kubernetes type does.
        let v1 = MetricsList(
            kind: "MetricValueList", apiVersion: "custom.metrics.k8s.io/v1beta1",
            items: [
                MetricValueV1Beta1(describedObject: object, metricName: "rps", timestamp: "2024-05-01T12:00:00Z", value: Quantity(1), selector: nil)
            ])
        let text = String(decoding: JSONWriter.write(v1), as: UTF8.self)
        #expect(
            text
                == #"{"apiVersion":"custom.metrics.k8s.io/v1beta1","items":[{"describedObject":{"apiVersion":"apps/v1","kind":"Deployment","name":"web","namespace":"shop"},"metricName":"rps","selector":null,"timestamp":"2024-05-01T12:00:00Z","value":"1"}],"kind":"MetricValueList","metadata":{}}"#
        )
        #expect(try JSONDecoder().decode(MetricsList<MetricValueV1Beta1>.self, from: Data(text.utf8)) == v1)
    }
}
