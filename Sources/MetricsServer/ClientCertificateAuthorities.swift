import Foundation
import NIOSSL
import Synchronization
import SwiftASN1
import X509

/// The requestheader client CA: which client certificates the metrics API trusts. It can change
/// while running (a rotated file, a refreshed ConfigMap), so TLS verification asks it on every
/// handshake instead of baking it into the TLS context.
public final class ClientCertificateAuthorities: Sendable {
    private let roots = Mutex<[Certificate]>([])

    public init(pem: String? = nil) throws {
        if let pem { try replace(pem: pem) }
    }

    /// Replaces the trusted CAs with the certificates in `pem` (one or more PEM blocks).
    public func replace(pem: String) throws {
        let certificates = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
        guard !certificates.isEmpty else { throw MetricsServerError("no certificate in the requestheader client CA") }
        roots.withLock { $0 = certificates }
    }

    public var isEmpty: Bool { roots.withLock { $0.isEmpty } }

    /// Whether a presented chain (leaf first) leads to one of the CAs and may authenticate clients.
    public func verify(_ chain: [NIOSSLCertificate]) async -> NIOSSLVerificationResult {
        let trusted = roots.withLock { $0 }
        guard !trusted.isEmpty, let first = chain.first,
              let leaf = try? Certificate(derEncoded: first.toDERBytes())
        else { return .failed }
        let intermediates = chain.dropFirst().compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        var verifier = Verifier(rootCertificates: CertificateStore(trusted)) {
            RFC5280Policy(validationTime: Date())
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
        case .validCertificate: return .certificateVerified
        case .couldNotValidate: return .failed
        }
    }

    /// The subject common name of a certificate.
    static func commonName(_ certificate: NIOSSLCertificate) -> String? {
        guard let parsed = try? Certificate(derEncoded: certificate.toDERBytes()) else { return nil }
        for attribute in parsed.subject.flatMap({ $0 }) where attribute.type == .RDNAttributeType.commonName {
            return attribute.value.description
        }
        return nil
    }
}

/// A problem setting up the metrics API (certificates, the requestheader CA, APIServices), in
/// words a user can act on.
struct MetricsServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
