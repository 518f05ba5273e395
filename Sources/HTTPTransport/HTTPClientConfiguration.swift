import Foundation
import Synchronization

/// Certificates for TLS, each from a PEM file or PEM bytes.
public struct TLSOptions: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case file(String)
        case pem(Data)
    }

    /// Trusted CA certificates; nil for the system's.
    public var certificateAuthority: Source?
    public var clientCertificate: Source?
    public var clientKey: Source?
    /// Accept any server certificate. Only when the user asked for it.
    public var insecureSkipVerify: Bool

    public init(certificateAuthority: Source? = nil, clientCertificate: Source? = nil, clientKey: Source? = nil, insecureSkipVerify: Bool = false) {
        self.certificateAuthority = certificateAuthority
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// A bearer token: a fixed value, or a file read again whenever it changes (rotated tokens).
public enum BearerToken: Sendable, Hashable {
    case value(String)
    case file(String)
}

/// Everything about how a client connects and authenticates.
public struct HTTPClientConfiguration: Sendable {
    public var tls: TLSOptions
    public var bearerToken: BearerToken?
    /// A file holding `user:password` for HTTP basic auth, read again whenever it changes.
    public var basicAuthFile: String?
    public var connectTimeout: Duration
    /// `http://proxy:3128` and the like; nil for none.
    public var proxy: String?
    public var userAgent: String
    /// The largest answer read, in bytes: a whole body (`send`), or one line of a stream
    /// (`stream`, a watch's events). The transfer is aborted past it (`HTTPError.responseTooLarge`),
    /// so a peer cannot fill memory. nil: no bound.
    public var maximumResponseSize: Int?

    public init(
        tls: TLSOptions = TLSOptions(), bearerToken: BearerToken? = nil, basicAuthFile: String? = nil, connectTimeout: Duration = .seconds(10), proxy: String? = nil,
        userAgent: String = "hpa-operator", maximumResponseSize: Int? = nil
    ) {
        self.tls = tls
        self.bearerToken = bearerToken
        self.basicAuthFile = basicAuthFile
        self.connectTimeout = connectTimeout
        self.proxy = proxy
        self.userAgent = userAgent
        self.maximumResponseSize = maximumResponseSize
    }
}

/// Reads a credential file (a token, `user:password`), again only when its modification time or
/// size changed, so rotated credentials are picked up.
final class CredentialFile: Sendable {
    let path: String
    /// How error messages name the file ("bearer token file").
    let what: String
    private let cache = Mutex<(stamp: String, token: String)?>(nil)

    init(path: String, what: String) {
        self.path = path
        self.what = what
    }

    func contents() throws(HTTPError) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let stamp = "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(attributes?[.size] as? Int ?? -1)"
        if let cached = cache.withLock({ $0 }), cached.stamp == stamp { return cached.token }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .credentials("cannot read \(what) \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw .credentials("\(what) \(path) is empty") }
        cache.withLock { $0 = (stamp, token) }
        return token
    }
}
