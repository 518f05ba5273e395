/// Why a request got no HTTP response, in words a user can act on.
public enum HTTPError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidURL(String)
    case connectionRefused(host: String, port: Int, detail: String)
    case dnsFailure(host: String)
    case tlsVerificationFailed(host: String, reason: String)
    case tls(host: String, reason: String)
    case timeout(seconds: Double, url: String)
    case connectionLost(reason: String)
    /// Something answered, but not in HTTP (another protocol on that port).
    case notHTTP(host: String, port: Int)
    case credentials(String)
    case transport(code: Int, reason: String)
    /// The answer passed `HTTPClientConfiguration.maximumResponseSize` and was not read further.
    case responseTooLarge(limit: Int, url: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): return "invalid URL '\(url)'"
        case .connectionRefused(let host, let port, let detail): return "connection refused to \(host):\(port) (\(detail))"
        case .dnsFailure(let host): return "DNS failure: cannot resolve host '\(host)'"
        case .tlsVerificationFailed(let host, let reason): return "TLS verification of \(host) failed: \(reason)"
        case .tls(let host, let reason): return "TLS connection to \(host) failed: \(reason)"
        case .timeout(let seconds, let url): return "timeout after \(Self.format(seconds)) s: \(url)"
        case .connectionLost(let reason): return "connection lost: \(reason)"
        case .notHTTP(let host, let port): return "\(host):\(port) answered, but not in HTTP (is this the right port, or another protocol such as TLS?)"
        case .credentials(let reason): return reason
        case .transport(let code, let reason): return "HTTP transport error \(code): \(reason)"
        case .responseTooLarge(let limit, let url): return "the answer from \(url) passed \(Self.size(limit)), the most this client reads; it was not read further"
        }
    }

    /// `64 MiB`, `512 KiB`, `100 bytes`.
    public static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
