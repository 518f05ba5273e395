import Certificates
import Foundation
import NIOSSL
import Synchronization

/// The metrics API's serving certificate and key: from files, read again when they change (a
/// rotated Secret), or generated at start and signed by a fresh CA.
public final class ServingIdentity: Sendable {
    private struct Loaded {
        var stamp: String
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
    }

    private let files: (certificate: String, key: String)?
    private let loaded: Mutex<Loaded>

    /// When the certificate served now expires (the leaf of the chain).
    public var expiry: Date? {
        let leaf = current().chain.first
        return leaf.flatMap { try? X509Certificate(der: $0.toDERBytes()) }?.notValidAfter
    }

    /// Serves another certificate from the next handshake on (a renewal).
    public func replace(certificatePEM: String, keyPEM: String) throws {
        let fresh = Loaded(
            stamp: "", chain: try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)),
            key: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        loaded.withLock { $0 = fresh }
    }

    /// Reads `certificate` (PEM chain) and `key` now; a later change is picked up on the next handshake.
    public init(certificateFile: String, keyFile: String) throws {
        files = (certificateFile, keyFile)
        loaded = Mutex(try Self.load(certificateFile, keyFile))
    }

    /// A serving certificate for `names`, signed by a new CA whose PEM is returned with it: that
    /// is what an APIService's `caBundle` must hold.
    public static func selfSigned(names: [String]) throws -> (identity: ServingIdentity, caPEM: String) {
        let authority = try CertificateAuthority(commonName: "hpa-operator metrics API CA")
        let serving = try authority.issueServer(dnsNames: names)
        return (try ServingIdentity(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM), try authority.certificatePEM)
    }

    public init(certificatePEM: String, keyPEM: String) throws {
        files = nil
        loaded = Mutex(
            Loaded(
                stamp: "", chain: try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)),
                key: try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
    }

    /// The certificate chain and key for a handshake now, re-read first if the files changed. A
    /// file caught half-written keeps the previous identity until the next handshake.
    func current() -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        if let files, let stamp = try? Self.stamp(files.certificate, files.key),
            stamp != loaded.withLock({ $0.stamp }), let fresh = try? Self.load(files.certificate, files.key)
        {
            loaded.withLock { $0 = fresh }
        }
        return loaded.withLock { ($0.chain, $0.key) }
    }

    /// A server TLS configuration presenting this identity (swapped per handshake when it changes).
    func tlsConfiguration(verifyClients: Bool) -> TLSConfiguration {
        let (chain, key) = current()
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if verifyClients { configuration.certificateVerification = .optionalVerification }
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = self.current()
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }

    private static func stamp(_ certificate: String, _ key: String) throws -> String {
        try [certificate, key].map { path in
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return "\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(attributes[.size] as? Int ?? 0)"
        }.joined(separator: "|")
    }

    private static func load(_ certificateFile: String, _ keyFile: String) throws -> Loaded {
        let stamp = try stamp(certificateFile, keyFile)
        guard let certificatePEM = FileManager.default.contents(atPath: certificateFile) else {
            throw MetricsServerError("cannot read --tls-cert-file \(certificateFile)")
        }
        guard let keyPEM = FileManager.default.contents(atPath: keyFile) else {
            throw MetricsServerError("cannot read --tls-private-key-file \(keyFile)")
        }
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM)) } catch {
            throw MetricsServerError("--tls-cert-file \(certificateFile) holds no PEM certificate")
        }
        guard !chain.isEmpty else { throw MetricsServerError("--tls-cert-file \(certificateFile) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: Array(keyPEM), format: .pem) } catch {
            throw MetricsServerError("--tls-private-key-file \(keyFile) holds no PEM private key")
        }
        return Loaded(stamp: stamp, chain: chain, key: key)
    }
}
