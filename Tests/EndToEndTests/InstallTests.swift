import Foundation
import HTTPTransport
import KubeClient
import TestSupport
import Testing

extension RealCluster {
    @Suite("Install and authentication") struct Install {
        static let apiServices = ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"]

        /// Scenario 1: `kubectl apply -k config/default` is accepted by the real apiserver; the
        /// operator, with the ServiceAccount's own token and config/default's flags, patches its CA
        /// into the three APIServices, which become Available without insecureSkipTLSVerify, and
        /// applying config/default again leaves them so.
        @Test func configDefaultInstallsAndTheAPIServicesBecomeAvailable() async throws {
            let cluster = try Cluster.current
            for kind in [
                "namespace/hpa-operator-system", "serviceaccount/hpa-operator", "clusterrole.rbac.authorization.k8s.io/hpa-operator",
                "deployment.apps/hpa-operator", "service/hpa-operator",
            ] + Self.apiServices.map({ "apiservice.apiregistration.k8s.io/\($0)" }) {
                #expect(cluster.installOutput.contains(kind), "kubectl apply -k config/default did not create \(kind):\n\(cluster.installOutput)")
            }
            #expect(cluster.operatorArguments.contains("--tls-secret=hpa-operator-serving"))
            #expect(cluster.operatorArguments.contains("--manage-apiservice-ca-bundle"))
            var bundles: [String: String] = [:]
            for name in Self.apiServices {
                let spec = try #require(try await cluster.json("/apis/apiregistration.k8s.io/v1/apiservices/\(name)")["spec"] as? [String: Any])
                #expect(spec["insecureSkipTLSVerify"] as? Bool != true)
                bundles[name] = try #require(spec["caBundle"] as? String)
                #expect(try await cluster.apiServiceAvailable(name) == "True")
            }
            // The shared serving certificate lives in the Secret config/default names.
            _ = try await cluster.client.raw("GET", "/api/v1/namespaces/hpa-operator-system/secrets/hpa-operator-serving")

            // A pipeline re-applies the same install: it converges, and the patched caBundle stays.
            try await cluster.plane.kubectl(["apply", "-k", Cluster.packageRoot.appendingPathComponent("config/default").path])
            for name in Self.apiServices {
                let spec = try #require(try await cluster.json("/apis/apiregistration.k8s.io/v1/apiservices/\(name)")["spec"] as? [String: Any])
                #expect(spec["caBundle"] as? String == bundles[name], "re-applying config/default changed \(name)'s caBundle")
                #expect(try await cluster.apiServiceAvailable(name) == "True")
            }
        }

        /// Scenario 8: the metrics API answers only the aggregator. Straight to the pod without the
        /// aggregator's client certificate, or with forged identity headers: 401. Through the
        /// aggregator as a user without RBAC on custom.metrics.k8s.io: the apiserver says 403.
        @Test func onlyTheAggregatorIsServedAndRBACStillApplies() async throws {
            let cluster = try Cluster.current
            try await cluster.useOperator()
            let direct = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(insecureSkipVerify: true)))
            let url = "https://\(cluster.plane.network.address):6443/apis/custom.metrics.k8s.io/v1beta2"
            let anonymous = try await direct.send(HTTPRequest(url: url, timeout: .seconds(10)))
            #expect(anonymous.status == 401, "\(anonymous.bodyText)")
            let forged = try await direct.send(HTTPRequest(url: url, headers: [("X-Remote-User", "system:admin"), ("X-Remote-Group", "system:masters")], timeout: .seconds(10)))
            #expect(forged.status == 401, "\(forged.bodyText)")
            // Health stays open for the kubelet's probes.
            let health = try await direct.send(HTTPRequest(url: "https://\(cluster.plane.network.address):6443/healthz", timeout: .seconds(10)))
            #expect(health.status == 200)

            // Through the aggregator: the admin is served, `nobody` is refused by the apiserver.
            let served = try await cluster.client.raw("GET", "/apis/custom.metrics.k8s.io/v1beta2")
            #expect(String(decoding: served, as: UTF8.self).contains("APIResourceList"))
            let nobody = KubeClient(
                config: ClientConfig(
                    server: cluster.plane.server, tls: TLSOptions(certificateAuthority: .pem(Data(cluster.plane.caPEM.utf8))),
                    authentication: .bearer(.value(cluster.plane.unprivilegedToken))))
            await #expect(throws: KubeError.self) { _ = try await nobody.raw("GET", "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/deployments.apps/web/rps") }
            do {
                _ = try await nobody.raw("GET", "/apis/external.metrics.k8s.io/v1beta1/namespaces/default/prometheus-query")
                Issue.record("an unprivileged user read the external metrics API")
            } catch let error as KubeError {
                #expect(error.code == 403, "\(error)")
            }
        }
    }
}
