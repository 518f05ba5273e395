import COpenSSL
import Foundation

/// A small certificate authority: the self-signed CA and serving certificate the metrics API
/// uses when no certificate files are given (and the certificates tests need). P-256 keys and
/// ECDSA-SHA256 signatures, through the system's libcrypto.
public struct CertificateAuthority: Sendable {
    public let certificate: X509Certificate
    let key: PrivateKey

    /// A certificate and its private key, as PEM.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let keyPEM: String
        public let certificate: X509Certificate
    }

    /// A new CA, valid from an hour before `now` for `validity` seconds.
    public init(commonName: String = "hpa-operator CA", validity: TimeInterval = 86_400 * 365, now: Date = Date()) throws {
        let key = try PrivateKey()
        certificate = try Self.sign(Request(commonName: commonName, from: now - 3600, to: now + validity, isAuthority: true), key: key, issuer: nil)
        self.key = key
    }

    /// A CA kept before (its certificate and private key, as PEM).
    public init(certificatePEM: String, keyPEM: String) throws {
        certificate = try X509Certificate(pem: certificatePEM)
        key = try PrivateKey(pem: keyPEM)
        guard key.matches(certificate) else { throw CertificateError("the CA's private key does not match its certificate") }
    }

    public var certificatePEM: String {
        get throws { try certificate.pem }
    }

    /// The CA's private key, to keep it (in a Secret) for renewing certificates later.
    public var keyPEM: String {
        get throws { try key.pem }
    }

    /// A serving certificate for localhost, 127.0.0.1 and `dnsNames` (IP addresses among them
    /// become IP SANs).
    public func issueServer(dnsNames: [String] = []) throws -> Issued {
        try issueServer(dnsNames: dnsNames, validity: 86_400 * 365)
    }

    /// The same, valid from an hour before `now` for `validity` seconds (at most as long as the CA).
    public func issueServer(dnsNames: [String], validity: TimeInterval, now: Date = Date()) throws -> Issued {
        var names = ["localhost"]
        var addresses: [[UInt8]] = [[127, 0, 0, 1]]
        for name in dnsNames {
            if let address = Self.ipv4(name) { addresses.append(address) } else if !names.contains(name) { names.append(name) }
        }
        return try issue(Request(commonName: dnsNames.first ?? "localhost", dnsNames: names, ipv4Addresses: addresses, usage: HPA_USAGE_SERVER_AUTH), validity: validity, now: now)
    }

    /// A client certificate with that common name (and organizations as groups).
    public func issueClient(commonName: String, organizations: [String] = []) throws -> Issued {
        try issue(Request(commonName: commonName, organizations: organizations, usage: HPA_USAGE_CLIENT_AUTH), validity: 86_400 * 365)
    }

    private func issue(_ request: Request, validity: TimeInterval, now: Date = Date()) throws -> Issued {
        var request = request
        (request.from, request.to) = (now - 3600, min(now + validity, certificate.notValidAfter))
        let leafKey = try PrivateKey()
        let leaf = try Self.sign(request, key: leafKey, issuer: self)
        return Issued(certificatePEM: try leaf.pem, keyPEM: try leafKey.pem, certificate: leaf)
    }

    /// What goes into a certificate besides its key.
    private struct Request {
        var commonName: String
        var organizations: [String] = []
        var dnsNames: [String] = []
        var ipv4Addresses: [[UInt8]] = []
        var usage: Int32 = 0
        var from = Date(), to = Date()
        var isAuthority = false
    }

    private static func sign(_ request: Request, key: PrivateKey, issuer: CertificateAuthority?) throws -> X509Certificate {
        let strings = ([request.commonName] + request.organizations + request.dnsNames).map { strdup($0) }
        defer { strings.forEach { free($0) } }
        let organizations = strings[1..<1 + request.organizations.count].map { UnsafePointer($0) }
        let dnsNames = strings[(1 + request.organizations.count)...].map { UnsafePointer($0) }
        let addresses = request.ipv4Addresses.flatMap { $0 }
        return try organizations.withUnsafeBufferPointer { organizations in
            try dnsNames.withUnsafeBufferPointer { dnsNames in
                try addresses.withUnsafeBufferPointer { addresses in
                    var c = hpa_certificate_request(
                        common_name: strings[0], organizations: organizations.baseAddress, organization_count: organizations.count,
                        dns_names: dnsNames.baseAddress, dns_name_count: dnsNames.count,
                        ipv4_addresses: addresses.baseAddress, ipv4_address_count: request.ipv4Addresses.count,
                        not_before: Int64(request.from.timeIntervalSince1970), not_after: Int64(request.to.timeIntervalSince1970),
                        is_authority: request.isAuthority ? 1 : 0, extended_usage: request.usage)
                    return X509Certificate(
                        owning: try openSSL { error in
                            hpa_certificate_issue(&c, key.pointer, issuer?.certificate.pointer, issuer?.key.pointer, error)
                        })
                }
            }
        }
    }

    private static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }
}
