import Crypto
import Foundation
import SwiftASN1
import X509

/// A small certificate authority: the self-signed CA and serving certificate the metrics API
/// uses when no certificate files are given (and the certificates tests need).
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey

    /// A certificate and its private key, as PEM.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let keyPEM: String
        public let certificate: Certificate
    }

    public init(commonName: String = "hpa-operator CA", validity: TimeInterval = 86_400 * 365) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + validity, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        self.key = Certificate.PrivateKey(key)
    }

    /// A CA kept before (its certificate and private key, as PEM).
    public init(certificatePEM: String, keyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        guard key.publicKey == certificate.publicKey else { throw CertificateError("the CA's private key does not match its certificate") }
    }

    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// The CA's private key, to keep it (in a Secret) for renewing certificates later.
    public var keyPEM: String {
        get throws { try key.serializeAsPEM().pemString }
    }

    /// A serving certificate for localhost, 127.0.0.1 and `dnsNames` (IP addresses among them
    /// become IP SANs).
    public func issueServer(dnsNames: [String] = []) throws -> Issued {
        try issueServer(dnsNames: dnsNames, validity: 86_400 * 365)
    }

    /// The same, valid for `validity` seconds (at most as long as the CA).
    public func issueServer(dnsNames: [String], validity: TimeInterval) throws -> Issued {
        var names = ["localhost"]
        var addresses: [[UInt8]] = [[127, 0, 0, 1]]
        for name in dnsNames {
            if let address = Self.ipv4(name) { addresses.append(address) } else if !names.contains(name) { names.append(name) }
        }
        return try issue(commonName: dnsNames.first ?? "localhost", dnsNames: names, ipAddresses: addresses, usage: [.serverAuth], validity: validity)
    }

    /// A client certificate with that common name (and organizations as groups).
    public func issueClient(commonName: String, organizations: [String] = []) throws -> Issued {
        try issue(commonName: commonName, organizations: organizations, usage: [.clientAuth])
    }

    private func issue(
        commonName: String, organizations: [String] = [], dnsNames: [String] = [], ipAddresses: [[UInt8]] = [],
        usage: [ExtendedKeyUsage.Usage], validity: TimeInterval = 86_400 * 365
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
            notValidBefore: now - 3600, notValidAfter: min(now + validity, certificate.notValidAfter), issuer: certificate.subject, subject: subject,
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

    private static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }
}

public struct CertificateError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
