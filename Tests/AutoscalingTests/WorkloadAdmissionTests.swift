import Foundation
import KubeModel
import Testing

@testable import Autoscaling

/// The admission webhook's answers, for AdmissionReview bodies as the apiserver sends them.
@Suite struct WorkloadAdmissionTests {
    static func review(
        kind: String = "Deployment", uid: String = "705ab4f5-6393-11e8-b7cc-42010a800002", annotations: [String: String],
        namespace: String = "shop", name: String = "web"
    ) -> Data {
        let object: [String: Any] = [
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": ["name": name, "namespace": namespace, "annotations": annotations],
            "spec": ["replicas": 2, "template": ["metadata": ["labels": ["app": name]]]],
        ]
        let review: [String: Any] = [
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": [
                "uid": uid, "kind": ["group": "apps", "version": "v1", "kind": kind],
                "resource": ["group": "apps", "version": "v1", "resource": kind.lowercased() + "s"],
                "namespace": namespace, "name": name, "operation": "CREATE", "object": object, "dryRun": false,
                "userInfo": ["username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]],
            ],
        ]
        return try! JSONSerialization.data(withJSONObject: review)
    }

    static let broken = [
        "\(domain)/minReplicas": "1", "\(domain)/maxReplicas": "10",
        rps("query"): "sum(rate(http_requests_total[2m]))", rps("targetAverageValue"): "40x",
    ]

    func response(_ answer: WorkloadAdmission.Answer) throws -> AdmissionReview.Response {
        #expect(answer.status == 200)
        let review = try JSONDecoder().decode(AdmissionReview.self, from: answer.body)
        #expect(review.apiVersion == "admission.k8s.io/v1" && review.kind == "AdmissionReview")
        return try #require(review.response)
    }

    /// Bytes the real v1.26 apiserver sent a webhook for `kubectl apply` of a Deployment with
    /// `targetAverageValue: "40x"` (captured by the real-cluster suite's `theRealAdmissionReviewIsRead`).
    static let captured = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/admission-review-deployment.json")

    @Test func theApiserversOwnBytesAreAnswered() throws {
        let body = try Data(contentsOf: Self.captured)
        let answer = WorkloadAdmission(style: .object, denyInvalid: false).review(body)
        #expect(answer.status == 200)
        let response = try self.response(answer)
        #expect(response.uid == "d08f6504-6326-4be5-9fab-82593681b177")
        #expect(response.allowed)
        #expect(response.warnings == ["\(rps("targetAverageValue")): '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"])
    }

    @Test func invalidAnnotationsAreAllowedWithOneWarningPerProblem() throws {
        let answer = try response(WorkloadAdmission(style: .object, denyInvalid: false).review(Self.review(annotations: Self.broken)))
        #expect(answer.uid == "705ab4f5-6393-11e8-b7cc-42010a800002")
        #expect(answer.allowed)
        #expect(answer.warnings == ["\(rps("targetAverageValue")): '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"])
        #expect(answer.status == nil)
    }

    @Test func denyModeRefusesWithTheSameText() throws {
        let answer = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(kind: "StatefulSet", annotations: Self.broken)))
        #expect(!answer.allowed)
        #expect(answer.status?.code == 422)
        #expect(answer.status?.message == "invalid \(domain) annotations: \(rps("targetAverageValue")): '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)")
        // Warnings alone never refuse.
        let warned = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(annotations: annotations(["\(domain)/unknown": "x"]))))
        #expect(warned.allowed && warned.warnings == ["\(domain)/unknown: is not a known \(domain) annotation; ignored"])
    }

    @Test func validAnnotationsAndOtherWorkloadsGetNoWarnings() throws {
        let valid = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(annotations: annotations())))
        #expect(valid.allowed && valid.warnings == nil)
        let plain = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(annotations: ["team": "shop"])))
        #expect(plain.allowed && plain.warnings == nil && plain.uid == "705ab4f5-6393-11e8-b7cc-42010a800002")
    }

    /// A pause or a freeze is allowed and said at every apply.
    @Test func aHoldIsSaidAtEveryApply() throws {
        let paused = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(annotations: annotations([pausedReplicasKey: "2"]))))
        #expect(
            paused.allowed
                && paused.warnings == [
                    "\(domain): autoscaling is held: paused at 2 replicas (\(pausedReplicasKey)); remove the annotation to resume"
                ])
        let frozen = try response(WorkloadAdmission(style: .object, denyInvalid: true).review(Self.review(annotations: annotations([scaleDownKey: "disabled"]))))
        #expect(frozen.allowed && frozen.warnings == ["\(domain): autoscaling is held: scale-down disabled (\(scaleDownKey)); remove the annotation to resume"])
    }

    @Test func styleProblemsAreWarnedAsTheOperatorReportsThem() throws {
        // A metric named like a reserved key is refused by the builder in the external style only.
        let reserved = annotations([
            rps("query"): nil, rps("targetAverageValue"): nil,
            "prometheus.interval.\(domain)/query": "sum(x)", "prometheus.interval.\(domain)/targetValue": "1",
        ])
        let found = try #require(DesiredHPA.invalidProblems(reserved, style: .external))
        #expect(found.contains { $0.contains("kube-metrics-adapter reserves that key") })
        let answer = try response(WorkloadAdmission(style: .external, denyInvalid: false).review(Self.review(annotations: reserved)))
        #expect(answer.warnings == found)
    }

    @Test(arguments: [
        ("not json", "the body is not an AdmissionReview: not JSON: unexpected character at byte 1"),
        (
            #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"1"}}"#,
            "expected apiVersion admission.k8s.io/v1, kind AdmissionReview; got admission.k8s.io/v1beta1, AdmissionReview (list only v1 in admissionReviewVersions)"
        ),
        (#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "the AdmissionReview has no request"),
        (#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}"#, "the body is not an AdmissionReview: request.uid: required field is missing"),
    ])
    func malformedBodiesGet400WithAReason(_ body: String, _ reason: String) throws {
        let answer = WorkloadAdmission(style: .object, denyInvalid: false).review(Data(body.utf8))
        #expect(answer.status == 400)
        let status = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
        #expect(status["kind"] as? String == "Status" && status["code"] as? Int == 400)
        #expect(status["message"] as? String == reason)
    }

    @Test func oversizedBodiesAreRefusedUnread() {
        let answer = WorkloadAdmission(style: .object, denyInvalid: false).review(Data(count: WorkloadAdmission.maximumBody + 1))
        #expect(answer.status == 400)
    }
}

extension DesiredHPA {
    /// The problem lines the reconcile would report for these annotations on a Deployment.
    static func invalidProblems(_ annotations: [String: String], style: MetricStyle) -> [String]? {
        let workload = Deployment(metadata: ObjectMeta(name: "web", namespace: "shop", annotations: annotations))
        guard case .invalid(let problems) = DesiredHPA(for: workload, style: style) else { return nil }
        return problems.map(\.description)
    }
}
