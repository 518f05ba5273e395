import DecodingErrorText
import Foundation
import HTTPTransport
import KubeModel
import PromQL
import Synchronization

/// Instant and range queries against one Prometheus server (`/api/v1/query`, `/api/v1/query_range`).
public final class PrometheusClient: Sendable {
    public let server: PrometheusServer
    private let http: HTTPClient
    /// Set once the server answered 405 to a GET: from then on every query is a POST.
    private let postOnly = Atomic<Bool>(false)
    /// Queries longer than this go as a form-encoded POST body (proxies limit URL lengths).
    static let longQuery = 2048

    public init(server: PrometheusServer) {
        self.server = server
        http = HTTPClient(
            configuration: HTTPClientConfiguration(
                tls: server.tls, bearerToken: server.bearerTokenFile.map { .file($0) }, basicAuthFile: server.basicAuthFile, maximumResponseSize: server.maximumAnswerSize))
    }

    /// This client's requests still in flight (0 when idle).
    public var transfersAlive: Int { http.transfersAlive }

    /// Runs `query` at `time` (nil: Prometheus's now), giving up after `timeout`, which Prometheus is
    /// told as well so it stops evaluating.
    public func query(_ query: String, at time: Date? = nil, timeout: Duration) async throws(PrometheusError) -> QueryResponse {
        var form = [("query", query), ("timeout", Self.goDuration(timeout))]
        if let time { form.append(("time", String(format: "%.3f", time.timeIntervalSince1970))) }
        return try await call("api/v1/query", form, timeout: timeout)
    }

    /// Prometheus's most points in one range answer.
    public static let maximumRangePoints = 11_000

    /// Evaluates `query` at every `step` from `start` to `end` (a matrix), as one request: the
    /// caller keeps it under `maximumRangePoints` (see `RangeChunks`).
    public func queryRange(_ query: String, start: Date, end: Date, step: Duration, timeout: Duration) async throws(PrometheusError) -> QueryResponse {
        let form = [
            ("query", query), ("start", String(format: "%.3f", start.timeIntervalSince1970)), ("end", String(format: "%.3f", end.timeIntervalSince1970)),
            ("step", Self.goDuration(step)), ("timeout", Self.goDuration(timeout)),
        ]
        return try await call("api/v1/query_range", form, timeout: timeout)
    }

    /// The server's release from `/api/v1/status/buildinfo`; nil when it does not say (some
    /// Prometheus-compatible backends have no such endpoint).
    public func version(timeout: Duration = .seconds(10)) async throws(PrometheusError) -> PrometheusVersion? {
        struct BuildInfo: Decodable {
            struct Data: Decodable { var version: String? }
            var data: Data?
        }
        let endpoint = server.url.hasSuffix("/") ? server.url + "api/v1/status/buildinfo" : server.url + "/api/v1/status/buildinfo"
        let response = try await send(
            HTTPRequest(url: endpoint, headers: [("Accept", "application/json")] + server.headers.map { ($0.name, $0.value) }, timeout: timeout),
            timeout: timeout)
        guard response.status == 200 else { return nil }
        return (try? JSONDecoder().decode(BuildInfo.self, from: response.body))?.data?.version.flatMap(PrometheusVersion.init)
    }

    private func call(_ path: String, _ form: [(String, String)], timeout: Duration) async throws(PrometheusError) -> QueryResponse {
        let fields = form + server.queryParameters.map { ($0.name, $0.value) }
        let encoded = fields.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let headers = server.headers.map { (name: $0.name, value: $0.value) }
        let endpoint = server.url.hasSuffix("/") ? server.url + path : server.url + "/" + path
        // The client waits a little longer than Prometheus, so Prometheus's own timeout error wins.
        let deadline = timeout + .milliseconds(500)
        let started = ContinuousClock.now
        var response: HTTPResponse
        if !postOnly.load(ordering: .relaxed), encoded.utf8.count <= Self.longQuery {
            response = try await send(HTTPRequest(url: endpoint + "?" + encoded, headers: [("Accept", "application/json")] + headers, timeout: deadline), timeout: timeout)
            if response.status == 405 {
                postOnly.store(true, ordering: .relaxed)
            } else {
                return try await decode(response, within: deadline - (ContinuousClock.now - started), timeout: timeout)
            }
        }
        response = try await send(
            HTTPRequest(
                method: "POST", url: endpoint,
                headers: [("Accept", "application/json"), ("Content-Type", "application/x-www-form-urlencoded")] + headers,
                body: Data(encoded.utf8), timeout: deadline), timeout: timeout)
        return try await decode(response, within: deadline - (ContinuousClock.now - started), timeout: timeout)
    }

    /// Answers up to this size are decoded inline (well under a millisecond); larger ones race the
    /// query's deadline, so a huge answer (200,000 series) times out when the query should.
    static let inlineDecodeLimit = 256 * 1024

    /// Decodes within what is left of the query's deadline. JSON decoding cannot be interrupted, so
    /// past the deadline the caller gets its timeout and the decode finishes unobserved.
    private func decode(_ response: HTTPResponse, within remaining: Duration, timeout: Duration) async throws(PrometheusError) -> QueryResponse {
        guard response.body.count > Self.inlineDecodeLimit else { return try Self.decode(response) }
        return try await Self.decode(response, within: remaining, orThrow: .timeout(server: server.url, seconds: timeout.seconds))
    }

    static func decode(
        _ response: HTTPResponse, within remaining: Duration, orThrow timedOut: PrometheusError,
        decoder: @escaping @Sendable (HTTPResponse) throws(PrometheusError) -> QueryResponse = decode
    ) async throws(PrometheusError) -> QueryResponse {
        guard remaining > .zero else { throw timedOut }
        let outcome: Result<QueryResponse, PrometheusError> = await withCheckedContinuation { continuation in
            let once = Mutex(Optional(continuation))
            let resume: @Sendable (Result<QueryResponse, PrometheusError>) -> Void = { result in
                once.withLock { $0.take() }?.resume(returning: result)
            }
            let timer = Task {
                try? await Task.sleep(for: remaining)
                resume(.failure(timedOut))
            }
            // On a thread of its own, not the cooperative pool: a decode of seconds must not hold
            // one of its few threads, which the timer above and every other task need.
            DispatchQueue.global().async {
                do throws(PrometheusError) { resume(.success(try decoder(response))) } catch { resume(.failure(error)) }
                timer.cancel()
            }
        }
        return try outcome.get()
    }

    private func send(_ request: HTTPRequest, timeout: Duration) async throws(PrometheusError) -> HTTPResponse {
        do {
            return try await http.send(request)
        } catch HTTPError.timeout {
            throw .timeout(server: server.url, seconds: timeout.seconds)
        } catch HTTPError.responseTooLarge(let limit, _) {
            throw .tooLarge(server: server.url, limit: limit)
        } catch let error as HTTPError {
            throw .unreachable(server: server.url, reason: error.description)
        } catch is CancellationError {
            throw .unreachable(server: server.url, reason: "query cancelled")
        } catch {
            throw .unreachable(server: server.url, reason: "\(error)")
        }
    }

    /// Reads an answer: Prometheus's error body wins over the HTTP status, which it mirrors.
    static func decode(_ response: HTTPResponse) throws(PrometheusError) -> QueryResponse {
        let envelope: QueryEnvelope
        do {
            envelope = try JSONDecoder().decode(QueryEnvelope.self, from: response.body)
        } catch {
            if !(200..<300).contains(response.status) { throw .http(status: response.status) }
            throw .undecodable(reason: Self.describe(error, in: response.body))
        }
        if envelope.status == "error" {
            throw .api(errorType: envelope.errorType ?? "unknown", message: envelope.error ?? "no message")
        }
        guard (200..<300).contains(response.status) else { throw .http(status: response.status) }
        guard envelope.status == "success", let data = envelope.data else {
            throw .undecodable(reason: "status '\(envelope.status)' without data")  // sanitized where described
        }
        // Warnings are logged: bounded and printable, like every text from outside.
        return QueryResponse(result: data.result, warnings: (envelope.warnings ?? []).prefix(10).map { ExternalText.sanitized($0) })
    }

    /// Where the answer went wrong, in the answer's own terms (never the decoder's internals).
    private static func describe(_ error: any Error, in body: Data) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            (context.codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty:
            return JSONSyntaxText.problem(in: body) ?? "not a query response"
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\(path(context, key))'"
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "unexpected value at '\(path(context))'"
        default:
            return "not a query response"
        }
    }

    /// `10s`, `1500ms`: Go's duration syntax, which Prometheus reads.
    public static func goDuration(_ duration: Duration) -> String {
        let milliseconds = Int((duration.seconds * 1000).rounded())
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    /// `application/x-www-form-urlencoded` value encoding: everything but unreserved characters.
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
