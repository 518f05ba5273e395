import Foundation
import KubeClient
import KubeModel
import Logging
import MetricsServer
import Testing
import TestSupport

@Suite struct ServingSecretTests {
    @Test func everyReplicaServesTheCertificateTheFirstOneStored() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let names = ["hpa-operator.hpa-operator-system.svc"]
        // Two replicas starting at once.
        async let first = ServingSecret.loadOrCreate(client: client, namespace: "hpa-operator-system", name: "hpa-operator-serving", names: names)
        async let second = ServingSecret.loadOrCreate(client: client, namespace: "hpa-operator-system", name: "hpa-operator-serving", names: names)
        let (a, b) = try await (first, second)
        #expect(a.caPEM == b.caPEM)
        let secret = try await client.get(Secret.self, namespace: "hpa-operator-system", name: "hpa-operator-serving")
        #expect(secret.type == "kubernetes.io/tls")
        #expect(Set(secret.data?.keys ?? [:].keys) == ["tls.crt", "tls.key", "ca.crt"])
        // A restart reads the same.
        let again = try await ServingSecret.loadOrCreate(client: client, namespace: "hpa-operator-system", name: "hpa-operator-serving", names: names)
        #expect(again.caPEM == a.caPEM)
        await apiserver.stop()
    }

    @Test func theAPIServicesCABundleIsPatchedOnlyWhenItDiffers() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let manager = APIServiceCABundle(client: client, caPEM: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", logger: logger)
        // Before the APIServices exist: an error that names them.
        do {
            try await manager.reconcile()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("v1beta1.custom.metrics.k8s.io, v1beta2.custom.metrics.k8s.io, v1beta1.external.metrics.k8s.io not found"))
        }
        for name in APIServiceCABundle.names {
            let parts = name.split(separator: ".", maxSplits: 1)
            _ = try await client.create(APIService(metadata: ObjectMeta(name: name), spec: APIService.Spec(
                group: String(parts[1]), version: String(parts[0]), groupPriorityMinimum: 100, versionPriority: 100,
                service: APIService.ServiceReference(namespace: "hpa-operator-system", name: "hpa-operator", port: 443))))
        }
        #expect(try await manager.reconcile() == 3)
        for name in APIServiceCABundle.names {
            let service = try await client.get(APIService.self, namespace: nil, name: name)
            #expect(service.spec?.caBundle.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("-----BEGIN CERTIFICATE-----") == true)
            #expect(service.spec?.service?.name == "hpa-operator")
        }
        // Nothing to do the second time: no writes.
        await apiserver.clearRequests()
        #expect(try await manager.reconcile() == 0)
        #expect(await apiserver.requests().allSatisfy { $0.method == "GET" })
        await apiserver.stop()
    }
}
