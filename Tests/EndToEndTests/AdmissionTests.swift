import Autoscaling
import Foundation
import Hummingbird
import KubeModel
import NIOCore
import Synchronization
import TestSupport
import Testing

extension RealCluster {
    /// The admission webhook config/default installs, called by the real apiserver.
    @Suite("Admission") struct Admission {
        static func deployment(_ name: String, namespace: String, maxReplicas: String = "3", target: String = "40x") -> String {
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: \(name)
              namespace: \(namespace)
              annotations:
                hpa.autoscaling.banzaicloud.io/minReplicas: "1"
                hpa.autoscaling.banzaicloud.io/maxReplicas: "\(maxReplicas)"
                prometheus.rps.hpa.autoscaling.banzaicloud.io/query: sum(rate(http_requests_total[2m]))
                prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: "\(target)"
            spec:
              replicas: 1
              selector: {matchLabels: {app: \(name)}}
              template:
                metadata: {labels: {app: \(name)}}
                spec: {containers: [{name: web, image: nginx}]}
            """
        }

        /// `kubectl apply -f -`, with its exit status and both outputs.
        static func apply(_ cluster: Cluster, _ manifest: String) async throws -> Tool.Result {
            try await Tool.run(try Tool.path("kubectl", hint: "kubectl"), ["--kubeconfig", cluster.plane.adminKubeconfig.path, "apply", "-f", "-"], stdin: manifest)
        }

        static let warning = "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: '40x' is not a quantity (examples: 40, 500m, 1.5, 10k, 2e3, 512Mi)"

        /// `kubectl apply` of broken annotations succeeds and prints the warning; with
        /// `--admission-deny-invalid` it is refused with the same text; with the operator stopped,
        /// applies still succeed (failurePolicy Ignore) well within the webhook's timeout.
        @Test func kubectlApplyPrintsTheProblemsOrIsRefused() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let namespace = "admission"
            try await cluster.makeNamespace(namespace)
            // The operator patches its CA into the webhook's caBundle at start: wait for it.
            try await cluster.eventually("the webhook's caBundle") {
                let configuration = try await cluster.json("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/hpa-operator")
                return ((configuration["webhooks"] as? [[String: Any]])?.first?["clientConfig"] as? [String: Any])?["caBundle"] as? String != nil
            }
            let warned = try await Self.apply(cluster, Self.deployment("web", namespace: namespace))
            #expect(warned.status == 0, "\(warned.stderr)")
            #expect(warned.stderr.contains("Warning: \(Self.warning)"), "\(warned.stderr)")
            // Valid annotations: no warning.
            let valid = try await Self.apply(cluster, Self.deployment("web", namespace: namespace, target: "40"))
            #expect(valid.status == 0 && !valid.stderr.contains("Warning"), "\(valid.stderr)")

            try await cluster.useOperator(overrides: ["--admission-deny-invalid"])
            let refused = try await Self.apply(cluster, Self.deployment("strict", namespace: namespace))
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("denied the request: invalid hpa.autoscaling.banzaicloud.io annotations: \(Self.warning)"), "\(refused.stderr)")
            let stored = try? await cluster.json("/apis/apps/v1/namespaces/\(namespace)/deployments/strict")
            #expect(stored == nil, "a refused Deployment was stored")

            // The operator down: the apiserver lets writes through without waiting.
            await cluster.stopOperator("operator-a")
            let started = ContinuousClock.now
            let unchecked = try await Self.apply(cluster, Self.deployment("unchecked", namespace: namespace))
            #expect(unchecked.status == 0, "\(unchecked.stderr)")
            #expect(ContinuousClock.now - started < .seconds(30))
            try await cluster.useOperator()
        }

        /// The AdmissionReview the real apiserver sends, captured by a webhook of our own over TLS:
        /// our reader takes it whole and echoes its uid (the unit tests keep the same bytes as a
        /// fixture, `Tests/Fixtures/admission-review-deployment.json`).
        @Test func theRealAdmissionReviewIsRead() async throws {
            let cluster = try Cluster.current
            let authority = try TestCertificateAuthority(commonName: "capture CA")
            let serving = try authority.issueServer(dnsNames: [cluster.plane.network.hostAddress])
            let captured = Mutex<Data?>(nil)
            let capture = try await TestHTTPServer.start(
                security: .tls(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM),
                host: cluster.plane.network.hostAddress
            ) { request, _ in
                let body = try await request.body.collect(upTo: 4 << 20)
                let data = Data(buffer: body)
                captured.withLock { $0 = $0 ?? data }
                let uid = (try? JSONDecoder().decode(AdmissionReview.self, from: data))?.request?.uid ?? ""
                let answer = try JSONEncoder().encode(AdmissionReview(response: AdmissionReview.Response(uid: uid, allowed: true)))
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(data: answer)))
            }
            let namespace = "admission-capture"
            try await cluster.makeNamespace(namespace)
            let bundle = Data(try authority.certificatePEM.utf8).base64EncodedString()
            try await cluster.send(
                "POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                [
                    "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
                    "metadata": ["name": "capture"],
                    "webhooks": [
                        [
                            "name": "capture.hpa-operator.test", "admissionReviewVersions": ["v1"], "sideEffects": "None", "failurePolicy": "Fail", "timeoutSeconds": 10,
                            "clientConfig": ["url": capture.url + "/capture", "caBundle": bundle],
                            "rules": [["apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"], "operations": ["CREATE"]]],
                            "namespaceSelector": ["matchLabels": ["kubernetes.io/metadata.name": namespace]],
                        ]
                    ],
                ] as [String: Any])
            // The apiserver picks the configuration up within a moment: apply until it is called.
            try await cluster.eventually("the capture webhook to be called") {
                _ = try? await Self.apply(cluster, Self.deployment("captured-\(UUID().uuidString.prefix(6).lowercased())", namespace: namespace))
                return captured.withLock { $0 } != nil
            }
            _ = try await cluster.client.raw("DELETE", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/capture")
            await capture.stop()
            let body = try #require(captured.withLock { $0 })
            let review = try JSONDecoder().decode(AdmissionReview.self, from: body)
            #expect(review.apiVersion == "admission.k8s.io/v1" && review.request?.kind?.kind == "Deployment" && review.request?.operation == "CREATE")
            let answer = WorkloadAdmission(style: .object, denyInvalid: false).review(body)
            #expect(answer.status == 200)
            let response = try JSONDecoder().decode(AdmissionReview.self, from: answer.body).response
            #expect(response?.uid == review.request?.uid)
            #expect(response?.warnings == [Self.warning])
            // To refresh the fixture: HPA_OPERATOR_CAPTURE=Tests/Fixtures/admission-review-deployment.json.
            if let path = ProcessInfo.processInfo.environment["HPA_OPERATOR_CAPTURE"] { try body.write(to: URL(fileURLWithPath: path)) }
        }
    }
}
