import Foundation
import HTTPTransport
import KubeModel

/// Why Prometheus gave no usable answer, quoting Prometheus where it said something.
public enum PrometheusError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `status: error`: Prometheus's own `errorType` and `error` (a PromQL syntax error, a timeout…).
    case api(errorType: String, message: String)
    /// A non-2xx answer without Prometheus's error body (a proxy, a wrong URL). What it said is
    /// not echoed: only Prometheus's own error field is.
    case http(status: Int)
    /// A 2xx answer that is not a query response.
    case undecodable(reason: String)
    /// No answer within the query timeout.
    case timeout(server: String, seconds: Double)
    /// No answer at all: refused, DNS, TLS, credentials.
    case unreachable(server: String, reason: String)
    /// An answer past `PrometheusServer.maximumAnswerSize`, not read further.
    case tooLarge(server: String, limit: Int)

    /// Bounded and printable whatever came from outside (labels, statuses, curl's reasons): it
    /// reaches logs, Events and `kubectl describe hpa`.
    public var description: String { ExternalText.sanitized(text, limit: 1000) }

    private var text: String {
        switch self {
        case .api(let type, let message):
            return "Prometheus error (\(ExternalText.sanitized(type, limit: 40))): \(ExternalText.sanitized(message))"
        case .http(let status):
            return "Prometheus answered HTTP \(status) without a Prometheus error (a proxy or a wrong URL?)"
        case .undecodable(let reason):
            return "Prometheus answered with something that is not a query response: \(ExternalText.sanitized(reason))"
        case .timeout(let server, let seconds):
            return "Prometheus \(server) did not answer within \(Self.format(seconds)) s"
        case .unreachable(let server, let reason):
            return "Prometheus \(server) is unreachable: \(reason)"
        case .tooLarge(let server, let limit):
            return
                "Prometheus \(server) answered more than \(HTTPError.size(limit)), the most hpa-operator reads (--prometheus-max-answer-size): aggregate the query to fewer series (sum by …), or raise the limit"
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
