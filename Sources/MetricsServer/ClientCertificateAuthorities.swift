import Certificates
import Foundation
import NIOSSL
import Synchronization

/// The requestheader trust: which client certificates the metrics API accepts (the requestheader
/// client CA), and which of their common names and headers it believes. It can change while
/// running (a rotated file, a refreshed ConfigMap), so TLS verification and every request ask it
/// instead of baking it into the TLS context. It fails closed: without a CA nothing is accepted,
/// and `problem` says why.
public final class ClientCertificateAuthorities: Sendable {
    private struct State {
        var roots: [X509Certificate] = []
        var authentication: RequestHeaderAuthentication
        /// Why there is no CA (the last failure to read one).
        var failure: String?
    }

    private let state: Mutex<State>

    public init(pem: String? = nil, authentication: RequestHeaderAuthentication = RequestHeaderAuthentication(allowedNames: [])) throws {
        state = Mutex(State(authentication: authentication))
        if let pem { try replace(pem: pem) }
    }

    /// Replaces the trusted CAs with the certificates in `pem` (one or more PEM blocks).
    public func replace(pem: String) throws {
        let certificates: [X509Certificate]
        do { certificates = try X509Certificate.all(pem: pem) } catch {
            throw MetricsServerError("the requestheader client CA cannot be read: \(error)")
        }
        guard !certificates.isEmpty else { throw MetricsServerError("no certificate in the requestheader client CA") }
        state.withLock {
            $0.roots = certificates
            $0.failure = nil
        }
    }

    public var isEmpty: Bool { state.withLock { $0.roots.isEmpty } }

    /// Which common names and headers to believe now.
    public var authentication: RequestHeaderAuthentication {
        get { state.withLock { $0.authentication } }
        set { state.withLock { $0.authentication = newValue } }
    }

    /// A CA could not be read; kept (for `problem`) only while there is none.
    public func failed(_ reason: String) {
        state.withLock { if $0.roots.isEmpty { $0.failure = reason } }
    }

    /// Why nothing can be authenticated, while there is no CA.
    public var problem: String? {
        state.withLock { $0.roots.isEmpty ? ($0.failure ?? "not read yet") : nil }
    }

    /// Whether a presented chain (leaf first) leads to one of the CAs and may authenticate clients.
    public func verify(_ chain: [NIOSSLCertificate]) async -> NIOSSLVerificationResult {
        let trusted = state.withLock { $0.roots }
        guard !trusted.isEmpty, let first = chain.first,
            let leaf = try? X509Certificate(der: first.toDERBytes()), leaf.mayAuthenticateClients
        else { return .failed }
        let intermediates = chain.dropFirst().compactMap { try? X509Certificate(der: $0.toDERBytes()) }
        do {
            try leaf.verify(intermediates: intermediates, roots: trusted)
            return .certificateVerified
        } catch {
            return .failed
        }
    }

    /// The subject common name of a certificate.
    static func commonName(_ certificate: NIOSSLCertificate) -> String? {
        (try? X509Certificate(der: certificate.toDERBytes()))?.commonName
    }
}

/// A problem setting up the metrics API (certificates, the requestheader CA, APIServices), in
/// words a user can act on.
struct MetricsServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
