import Foundation
import HTTPTransport
import KubeModel

/// A failed API call. Apiserver errors carry the `Status` it sent; `description` is its message.
public enum KubeError: Error, Sendable, CustomStringConvertible {
    case notFound(Status)
    case alreadyExists(Status)
    /// 409 for a stale resourceVersion or a failed precondition.
    case conflict(Status)
    /// 422, with `details.causes` naming the fields.
    case invalid(Status)
    /// 410: the resourceVersion is too old; relist.
    case expired(Status)
    case unauthorized(Status)
    case forbidden(Status)
    case tooManyRequests(Status, retryAfter: Duration?)
    case serverError(Status)
    case other(Status)
    /// No HTTP response at all.
    case transport(HTTPError)
    /// A response we could not read.
    case decoding(String)

    /// Classifies an error response. The body is decoded as a `Status` when it is one; otherwise a
    /// Status is made from the code and the start of the body (proxies send HTML).
    public init(code: Int, body: Data, retryAfter: String? = nil) {
        var status =
            (try? JSONDecoder().decode(Status.self, from: body)).flatMap { $0.kind == "Status" || $0.code != nil ? $0 : nil }
            ?? Status(message: Self.fallbackMessage(code: code, body: body), reason: nil, code: Int32(code))
        if status.code == nil { status.code = Int32(code) }
        let statusCode = Int(status.code ?? Int32(code))
        switch (statusCode, status.reason) {
        case (404, _): self = .notFound(status)
        case (409, "AlreadyExists"): self = .alreadyExists(status)
        case (409, _): self = .conflict(status)
        case (410, _): self = .expired(status)
        case (422, _): self = .invalid(status)
        case (401, _): self = .unauthorized(status)
        case (403, _): self = .forbidden(status)
        case (429, _):
            let seconds = retryAfter.flatMap(Int.init).map(Int64.init) ?? status.details?.retryAfterSeconds.map(Int64.init)
            self = .tooManyRequests(status, retryAfter: seconds.map { .seconds($0) })
        case (500..., _): self = .serverError(status)
        default: self = .other(status)
        }
    }

    private static func fallbackMessage(code: Int, body: Data) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(text)"
    }

    public var status: Status? {
        switch self {
        case .notFound(let s), .alreadyExists(let s), .conflict(let s), .invalid(let s), .expired(let s),
            .unauthorized(let s), .forbidden(let s), .tooManyRequests(let s, _), .serverError(let s), .other(let s):
            return s
        case .transport, .decoding:
            return nil
        }
    }

    public var code: Int? { status?.code.map(Int.init) }

    public var description: String {
        switch self {
        case .transport(.responseTooLarge(let limit, let url)):
            return "the apiserver's answer to \(url) passed \(HTTPError.size(limit)), the most hpa-operator reads (--kube-api-max-response-size); it was not read further"
        case .transport(let error): return error.description
        case .decoding(let message): return message
        default:
            let status = self.status!
            let message = status.message ?? status.reason ?? "request failed"
            return "\(message) (HTTP \(status.code.map(String.init) ?? "?")\(status.reason.map { ", \($0)" } ?? ""))"
        }
    }

    /// Worth retrying as it is: throttling, server trouble, a lost connection.
    public var isTransient: Bool {
        switch self {
        case .tooManyRequests, .serverError, .transport: return true
        default: return false
        }
    }
}
