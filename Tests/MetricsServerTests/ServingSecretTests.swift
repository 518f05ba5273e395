import Certificates
import Foundation
import KubeClient
import KubeModel
import Logging
import MetricsServer
import Prometheus
import TestSupport
import Testing

@Suite struct ServingSecretTests {
    static let names = ["hpa-operator.hpa-operator-system.svc"]

    static func quiet() -> Logger {
        let logger = Logger.quiet("test")
        return logger
    }

    @Test func everyReplicaServesTheCertificateTheFirstOneStored() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let keeping = GeneratedServingCertificate.Keeping.secret(client, namespace: "hpa-operator-system", name: "hpa-operator-serving")
        let configuration = GeneratedServingCertificate.Configuration(names: Self.names)
        // Two replicas starting at once.
        async let first = GeneratedServingCertificate.start(keeping, configuration: configuration, logger: Self.quiet())
        async let second = GeneratedServingCertificate.start(keeping, configuration: configuration, logger: Self.quiet())
        let (a, b) = try await (first, second)
        #expect(a.caPEM == b.caPEM)
        #expect(a.identity.expiry == b.identity.expiry)
        let secret = try await client.get(Secret.self, namespace: "hpa-operator-system", name: "hpa-operator-serving")
        #expect(secret.type == "kubernetes.io/tls")
        // The CA's key is kept too, so any replica can renew the certificate with the same CA.
        #expect(Set(secret.data?.keys ?? [:].keys) == ["tls.crt", "tls.key", "ca.crt", "ca.key"])
        // A restart reads the same.
        let again = try await GeneratedServingCertificate.start(keeping, configuration: configuration, logger: Self.quiet())
        #expect(again.caPEM == a.caPEM)
        await apiserver.stop()
    }

    static let day: TimeInterval = 86_400

    /// A certificate nearing its end is renewed, with the same CA (the caBundle stays valid), and
    /// another replica serves the renewal without a restart. Time is passed in, so nothing here
    /// waits for a certificate to age.
    @Test func theServingCertificateIsRenewedBeforeItExpires() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let keeping = GeneratedServingCertificate.Keeping.secret(client, namespace: "hpa-operator-system", name: "hpa-operator-serving")
        let configuration = GeneratedServingCertificate.Configuration(names: Self.names)
        let start = Date()
        let a = try await GeneratedServingCertificate.start(keeping, configuration: configuration, logger: Self.quiet(), now: start)
        let b = try await GeneratedServingCertificate.start(keeping, configuration: configuration, logger: Self.quiet(), now: start)
        let (ca, first) = (a.caPEM, a.certificatePEM)
        // Two thirds of a year on: not yet due.
        try await a.refresh(now: start.addingTimeInterval(200 * Self.day))
        #expect(a.certificatePEM == first)
        // Less than a third of its year left: renewed, by the same CA.
        let later = start.addingTimeInterval(250 * Self.day)
        try await a.refresh(now: later)
        #expect(a.certificatePEM != first, "the certificate was not renewed")
        #expect(a.caPEM == ca, "the renewal changed the CA, which would break the caBundle")
        #expect(abs((a.identity.expiry ?? .distantPast).timeIntervalSince(later.addingTimeInterval(365 * Self.day))) < 5)
        try await b.refresh(now: later)
        #expect(b.certificatePEM == a.certificatePEM, "the other replica does not serve the renewal")
        let registry = PrometheusCollectorRegistry()
        let metrics = MetricsAPIMetrics(registry: registry)
        metrics.servingCertificateExpires(a.identity.expiry)
        #expect(registry.emitToString().contains("hpa_operator_serving_certificate_expiry_timestamp_seconds \(Int(a.identity.expiry!.timeIntervalSince1970))"))
        await apiserver.stop()
    }

    /// Without a Secret the process keeps one CA and certificate: a caBundle taken from
    /// `--tls-ca-out` at start verifies what is served later (a new CA was made every minute).
    @Test func withoutASecretTheCAStaysForTheProcessLife() async throws {
        let start = Date()
        let generated = try await GeneratedServingCertificate.start(
            .memory, configuration: GeneratedServingCertificate.Configuration(names: Self.names),
            logger: Self.quiet(), now: start)
        let (ca, certificate) = (generated.caPEM, generated.certificatePEM)
        for minutes in 1...3 {
            try await generated.refresh(now: start.addingTimeInterval(60 * Double(minutes)))
            #expect(generated.caPEM == ca && generated.certificatePEM == certificate, "after \(minutes) minutes")
        }
    }

    /// Twelve years of refreshes: the CA is renewed before it expires, with an overlap, so the
    /// bundle of any refresh verifies the certificate served at the next; every certificate is
    /// renewed only when due (never again and again as its CA nears its end); the old CA leaves
    /// the bundle once it has expired.
    @Test func theCAIsRenewedWithAnOverlap() async throws {
        let start = Date()
        let configuration = GeneratedServingCertificate.Configuration(names: Self.names)
        let generated = try await GeneratedServingCertificate.start(.memory, configuration: configuration, logger: Self.quiet(), now: start)
        let firstCA = generated.caPEM
        var bundle = try X509Certificate.all(pem: generated.caPEM)
        var served = generated.certificatePEM
        var renewals: [Double] = []
        var mostCAs = 1
        for step in 1...(12 * 365 / 10) {
            let days = Double(step * 10)
            let now = start.addingTimeInterval(days * Self.day)
            try await generated.refresh(now: now)
            // The bundle published at the previous refresh trusts what is served now.
            try X509Certificate(pem: generated.certificatePEM).verify(roots: bundle, at: now)
            if generated.certificatePEM != served { renewals.append(days) }
            served = generated.certificatePEM
            bundle = try X509Certificate.all(pem: generated.caPEM)
            mostCAs = max(mostCAs, bundle.count)
            #expect(bundle.allSatisfy { $0.notValidAfter > now }, "an expired CA stays in the bundle at day \(days)")
        }
        #expect(zip(renewals, renewals.dropFirst()).allSatisfy { $1 - $0 >= 240 }, "renewals at days \(renewals)")
        #expect(renewals.count >= 15)
        #expect(mostCAs == 2)
        let last = try bundle[0].pem
        #expect(bundle.count == 1 && last != firstCA, "the first CA is still trusted after it expired")
    }

    /// A Secret from before renewal existed has no CA key: the renewal makes a new CA, and says so
    /// through caPEM (which the APIServices' caBundle follows).
    @Test func anOldSecretWithoutTheCAKeyGetsANewCA() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let authority = try TestCertificateAuthority(commonName: "old")
        let old = try authority.issueServer(dnsNames: Self.names, validity: 2)
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        _ = try await client.create(
            Secret(
                metadata: ObjectMeta(name: "hpa-operator-serving", namespace: "hpa-operator-system"), type: "kubernetes.io/tls",
                data: ["tls.crt": base64(old.certificatePEM), "tls.key": base64(old.keyPEM), "ca.crt": base64(try authority.certificatePEM)]))
        let generated = try await GeneratedServingCertificate.start(
            .secret(client, namespace: "hpa-operator-system", name: "hpa-operator-serving"),
            configuration: GeneratedServingCertificate.Configuration(names: Self.names), logger: Self.quiet())
        #expect(generated.caPEM != (try authority.certificatePEM))
        #expect((generated.identity.expiry ?? .distantPast) > Date().addingTimeInterval(86_400 * 300))
        await apiserver.stop()
    }

    @Test func theAPIServicesCABundleIsPatchedOnlyWhenItDiffers() async throws {
        let apiserver = try await FakeAPIServer.start()
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let logger = Logger.quiet("test")
        let manager = APIServiceCABundle(client: client, caPEM: { "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }, logger: logger)
        // Before the APIServices exist: an error that names them.
        do {
            try await manager.reconcile()
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("v1beta1.custom.metrics.k8s.io, v1beta2.custom.metrics.k8s.io, v1beta1.external.metrics.k8s.io not found"))
        }
        for name in APIServiceCABundle.names {
            let parts = name.split(separator: ".", maxSplits: 1)
            _ = try await client.create(
                APIService(
                    metadata: ObjectMeta(name: name),
                    spec: APIService.Spec(
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
