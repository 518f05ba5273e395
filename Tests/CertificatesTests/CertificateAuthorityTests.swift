import Certificates
import Foundation
import TestSupport
import Testing

/// The certificates we issue, read back by Debian's `openssl` (an independent X.509 reader), and
/// our verification refusing what it must.
@Suite struct CertificateAuthorityTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("certificates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func openssl(_ arguments: [String]) async throws -> Tool.Result {
        try await Tool.run(try Tool.path("openssl", hint: "apt-get install openssl"), arguments)
    }

    @Test func opensslVerifiesAndReadsAServingCertificate() async throws {
        let ca = try CertificateAuthority(commonName: "test CA")
        let serving = try ca.issueServer(dnsNames: ["hpa-operator.system.svc", "10.0.0.7"])
        let caFile = try file("ca.pem", try ca.certificatePEM)
        let servingFile = try file("serving.pem", serving.certificatePEM)
        let verified = try await openssl(["verify", "-CAfile", caFile, "-purpose", "sslserver", servingFile])
        #expect(verified.status == 0, "\(verified.stderr)")
        let text = try await openssl(["x509", "-in", servingFile, "-noout", "-text"]).stdout
        for expected in [
            "DNS:localhost", "DNS:hpa-operator.system.svc", "IP Address:127.0.0.1", "IP Address:10.0.0.7",
            "TLS Web Server Authentication", "CA:FALSE", "Digital Signature", "Subject: CN = hpa-operator.system.svc",
            "Issuer: CN = test CA", "ecdsa-with-SHA256", "prime256v1", "X509v3 Authority Key Identifier",
        ] {
            #expect(text.contains(expected), "\(expected) not in\n\(text)")
        }
        let caText = try await openssl(["x509", "-in", caFile, "-noout", "-text"]).stdout
        #expect(caText.contains("CA:TRUE") && caText.contains("Certificate Sign, CRL Sign"), "\(caText)")
        // The key is the certificate's, in a form openssl reads.
        let keyFile = try file("serving.key", serving.keyPEM)
        let fromKey = try await openssl(["pkey", "-in", keyFile, "-pubout"]).stdout
        let fromCertificate = try await openssl(["x509", "-in", servingFile, "-noout", "-pubkey"]).stdout
        #expect(!fromKey.isEmpty && fromKey == fromCertificate)
        #expect(serving.certificate.commonName == "hpa-operator.system.svc")
        #expect(serving.certificate.notValidAfter <= ca.certificate.notValidAfter)
    }

    @Test func clientCertificatesCarryTheirGroups() async throws {
        let ca = try CertificateAuthority()
        let client = try ca.issueClient(commonName: "front-proxy-client", organizations: ["system:masters", "team-a"])
        let subject = try await openssl(["x509", "-in", try file("client.pem", client.certificatePEM), "-noout", "-subject", "-ext", "extendedKeyUsage"]).stdout
        #expect(subject.contains("O = system:masters, O = team-a, CN = front-proxy-client"), "\(subject)")
        #expect(subject.contains("TLS Web Client Authentication"), "\(subject)")
        #expect(client.certificate.mayAuthenticateClients)
        #expect(!(try ca.issueServer()).certificate.mayAuthenticateClients)
        let verified = try await openssl(["verify", "-CAfile", try file("ca.pem", try ca.certificatePEM), "-purpose", "sslclient", try file("c.pem", client.certificatePEM)])
        #expect(verified.status == 0, "\(verified.stderr)")
    }

    @Test func verificationRefusesOtherCAsExpiryAndLeavesActingAsCAs() throws {
        let ca = try CertificateAuthority()
        let other = try CertificateAuthority()
        let leaf = try ca.issueClient(commonName: "someone").certificate
        try leaf.verify(roots: [ca.certificate])
        #expect(throws: CertificateError.self) { try leaf.verify(roots: [other.certificate]) }
        #expect(throws: CertificateError.self) { try leaf.verify(roots: [ca.certificate], at: Date() + 2 * 86_400 * 365) }
        #expect(throws: CertificateError.self) { try leaf.verify(roots: [ca.certificate], at: Date() - 86_400) }
        // A leaf's key signing another certificate does not make a chain: the leaf is no CA.
        let issued = try ca.issueServer()
        let impostor = try CertificateAuthority(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM)
        let forged = try impostor.issueClient(commonName: "admin").certificate
        do {
            try forged.verify(intermediates: [issued.certificate], roots: [ca.certificate])
            Issue.record("a chain through a non-CA was accepted")
        } catch let error as CertificateError {
            #expect(error.description.contains("CA"), "\(error)")
        }
    }

    @Test func keptAuthoritiesRoundTripAndMismatchesAreRefused() async throws {
        let ca = try CertificateAuthority()
        let kept = try CertificateAuthority(certificatePEM: try ca.certificatePEM, keyPEM: try ca.keyPEM)
        try kept.issueServer().certificate.verify(roots: [ca.certificate])
        let error = #expect(throws: CertificateError.self) {
            try CertificateAuthority(certificatePEM: try ca.certificatePEM, keyPEM: try CertificateAuthority().keyPEM)
        }
        #expect(error?.description == "the CA's private key does not match its certificate")
        // A traditional "EC PRIVATE KEY" (openssl ecparam's form) reads as well as PKCS#8.
        let traditional = try await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout"]).stdout
        #expect(traditional.contains("BEGIN EC PRIVATE KEY"))
        #expect(try PrivateKey(pem: traditional).publicKeyPEM.contains("BEGIN PUBLIC KEY"))
    }

    @Test func pemBundlesAreReadWholeOrRefused() throws {
        let a = try CertificateAuthority(commonName: "a")
        let b = try CertificateAuthority(commonName: "b")
        let bundle = try a.certificatePEM + "\n# a comment between blocks\n" + b.keyPEM + b.certificatePEM
        #expect(try X509Certificate.all(pem: bundle).map(\.commonName) == ["a", "b"])
        #expect(try X509Certificate.all(pem: "no PEM here").isEmpty)
        let broken = try a.certificatePEM + "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
        let error = #expect(throws: CertificateError.self) { try X509Certificate.all(pem: broken) }
        #expect(error?.description.hasPrefix("a PEM certificate after the first is malformed") == true, "\(String(describing: error))")
        #expect(throws: CertificateError.self) { try X509Certificate(pem: "") }
        #expect(throws: CertificateError.self) { try X509Certificate(der: [0x30, 0x03, 0x01]) }
        #expect(throws: CertificateError.self) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        // DER in and out agree with PEM.
        let der = try #require(Data(base64Encoded: try a.certificatePEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
        #expect(try X509Certificate(der: Array(der)).pem == a.certificatePEM)
    }
}
