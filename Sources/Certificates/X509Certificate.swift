import COpenSSL
import Foundation

/// An X.509 certificate, read or issued through the system's libcrypto. Immutable once made.
public final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { hpa_certificate_free(pointer) }

    /// A DER-encoded certificate (as a TLS library hands over a peer's).
    public convenience init(der: [UInt8]) throws {
        self.init(owning: try openSSL { error in der.withUnsafeBufferPointer { hpa_certificate_read_der($0.baseAddress, $0.count, error) } })
    }

    /// The first certificate of a PEM text.
    public convenience init(pem: String) throws {
        guard let first = try Self.all(pem: pem).first else { throw CertificateError("no PEM certificate") }
        self.init(owning: first.retained())
    }

    /// Every CERTIFICATE block of a PEM text, in order (other blocks, a key say, are skipped).
    public static func all(pem: String) throws -> [X509Certificate] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = try openSSL { error -> Int? in
            let count = pem.withCString { hpa_certificates_read_pem($0, strlen($0), &list, error) }
            return count < 0 ? nil : count
        }
        defer { free(list) }
        return (0..<count).compactMap { list?[$0].map(X509Certificate.init(owning:)) }
    }

    public var pem: String {
        get throws { try openSSLText { length, error in hpa_certificate_pem(pointer, length, error) } }
    }

    public var notValidBefore: Date { validity.from }
    public var notValidAfter: Date { validity.to }

    private var validity: (from: Date, to: Date) {
        var from: Int64 = 0
        var to: Int64 = 0
        hpa_certificate_validity(pointer, &from, &to)
        return (Date(timeIntervalSince1970: TimeInterval(from)), Date(timeIntervalSince1970: TimeInterval(to)))
    }

    /// The subject's common name.
    public var commonName: String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { buffer in
            hpa_certificate_common_name(pointer, buffer.baseAddress, buffer.count) == 1 ? String(cString: buffer.baseAddress!) : nil
        }
    }

    /// Whether its extended key usages (if it lists any) allow logging in as a TLS client.
    public var mayAuthenticateClients: Bool { hpa_certificate_may_authenticate_clients(pointer) == 1 }

    /// Checks that this certificate chains, through `intermediates`, to one of `roots` at `time`
    /// (signatures, validity periods, CA constraints); throws why not.
    public func verify(intermediates: [X509Certificate] = [], roots: [X509Certificate], at time: Date = Date()) throws {
        let between = intermediates.map { Optional($0.pointer) }
        let trusted = roots.map { Optional($0.pointer) }
        _ = try openSSL { error -> Bool? in
            hpa_certificate_verify(pointer, between, between.count, trusted, trusted.count, Int64(time.timeIntervalSince1970), error) == 1 ? true : nil
        }
        withExtendedLifetime((intermediates, roots)) {}
    }

    /// A second reference to the same X509 (OpenSSL counts them).
    private func retained() -> OpaquePointer {
        hpa_certificate_retain(pointer)
        return pointer
    }
}

/// A P-256 private key.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { hpa_key_free(pointer) }

    /// A new P-256 key.
    public convenience init() throws {
        self.init(owning: try openSSL { hpa_key_generate($0) })
    }

    /// A PEM private key (PKCS#8, or the traditional EC or RSA forms).
    public convenience init(pem: String) throws {
        self.init(owning: try openSSL { error in pem.withCString { hpa_key_read_pem($0, strlen($0), error) } })
    }

    /// PKCS#8 "PRIVATE KEY".
    public var pem: String {
        get throws { try openSSLText { length, error in hpa_key_private_pem(pointer, length, error) } }
    }

    /// The public key as a SubjectPublicKeyInfo "PUBLIC KEY".
    public var publicKeyPEM: String {
        get throws { try openSSLText { length, error in hpa_key_public_pem(pointer, length, error) } }
    }

    public func matches(_ certificate: X509Certificate) -> Bool { hpa_certificate_matches_key(certificate.pointer, pointer) == 1 }
}

public struct CertificateError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Calls a shim function that returns nil (or NULL) on failure after writing why into its buffer.
func openSSL<T>(_ body: (UnsafeMutablePointer<CChar>) -> T?) throws -> T {
    try withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(HPA_ERROR_SIZE)) { buffer in
        buffer[0] = 0
        guard let value = body(buffer.baseAddress!) else { throw CertificateError(String(cString: buffer.baseAddress!)) }
        return value
    }
}

/// A malloc'ed text from the shim, as a String.
private func openSSLText(_ body: (UnsafeMutablePointer<Int>, UnsafeMutablePointer<CChar>) -> UnsafeMutablePointer<CChar>?) throws -> String {
    var length = 0
    let text = try openSSL { body(&length, $0) }
    defer { free(text) }
    return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
}
