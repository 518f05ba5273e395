import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority made for one test run, issuing server and client certificates.
public struct TestCertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey

    /// A certificate and its private key, as PEM.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let keyPEM: String
        public let certificate: Certificate
    }

    public init(commonName: String = "hpa-operator test CA") throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86_400 * 365, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        self.key = Certificate.PrivateKey(key)
    }

    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// A serving certificate for localhost and 127.0.0.1 (and `dnsNames`).
    public func issueServer(dnsNames: [String] = []) throws -> Issued {
        try issue(commonName: "localhost", dnsNames: ["localhost"] + dnsNames, ipAddresses: [[127, 0, 0, 1]], usage: [.serverAuth])
    }

    /// A client certificate with that common name (and organizations as groups).
    public func issueClient(commonName: String, organizations: [String] = []) throws -> Issued {
        try issue(commonName: commonName, organizations: organizations, usage: [.clientAuth])
    }

    private func issue(
        commonName: String, organizations: [String] = [], dnsNames: [String] = [], ipAddresses: [[UInt8]] = [],
        usage: [ExtendedKeyUsage.Usage]
    ) throws -> Issued {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        let names = dnsNames.map { GeneralName.dnsName($0) } + ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(leafKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86_400 * 30, issuer: certificate.subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usage)
                if !names.isEmpty { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: key)
        return Issued(certificatePEM: try leaf.serializeAsPEM().pemString, keyPEM: leafKey.pemRepresentation, certificate: leaf)
    }
}
