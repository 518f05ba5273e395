import CCurl
import Foundation
import Synchronization

/// One request in flight: its curl handle, what has arrived, and who is waiting.
/// After `start`, only the engine thread touches it (callbacks and `finish`).
final class Transfer: @unchecked Sendable {
    enum Waiter {
        /// `send`: the whole response at the end.
        case buffered(CheckedContinuation<HTTPResponse, any Error>)
        /// `stream`: status and headers as soon as they are complete, then body chunks.
        case streaming(head: CheckedContinuation<HTTPStreamResponse, any Error>?, body: AsyncThrowingStream<Data, any Error>.Continuation)
    }

    let easy: UnsafeMutableRawPointer
    let url: String
    private let host: String
    private let port: Int
    private let timeoutSeconds: Double?
    private let onConnections: @Sendable (Int) -> Void
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var body = Data()
    private var bodyStream: AsyncThrowingStream<Data, any Error>?
    private var finished = false
    /// `maximumResponseSize`, and whether the answer passed it (then the transfer is aborted).
    private let maximumSize: Int?
    private var tooLarge = false
    /// A stream's bytes since its last newline.
    private var lineLength = 0
    var waiter: Waiter?
    /// Set by any thread that cancels; the engine checks it before starting, so a cancellation
    /// that arrives before the start is not lost.
    let cancelRequested = Atomic<Bool>(false)

    init(_ request: HTTPRequest, configuration: HTTPClientConfiguration, authorization: String?, live: LiveCount, onConnections: @escaping @Sendable (Int) -> Void) throws(HTTPError) {
        guard let components = URLComponents(string: request.url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { throw .invalidURL(request.url) }
        guard let easy = curl_easy_init() else { throw .transport(code: -1, reason: "curl_easy_init failed") }
        self.easy = easy
        self.url = request.url
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        self.timeoutSeconds = request.timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        self.onConnections = onConnections
        maximumSize = configuration.maximumResponseSize
        errorBuffer[0] = 0
        self.live = live
        live.value.add(1, ordering: .relaxed)
        configure(request, configuration, authorization: authorization)
    }

    /// The owning client's count of transfers alive (a leak shows up there).
    private let live: LiveCount

    deinit {
        live.value.subtract(1, ordering: .relaxed)
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure(_ request: HTTPRequest, _ configuration: HTTPClientConfiguration, authorization: String?) {
        func set(_ option: CURLoption, _ value: Int) { _ = ccurl_easy_setopt_long(easy, option, value) }
        func set(_ option: CURLoption, _ value: String) { _ = ccurl_easy_setopt_string(easy, option, value) }
        set(CURLOPT_URL, request.url)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_USERAGENT, configuration.userAgent)
        set(CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.components.seconds * 1000))
        if let timeoutSeconds { set(CURLOPT_TIMEOUT_MS, max(1, Int(timeoutSeconds * 1000))) }
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        if let proxy = configuration.proxy { set(CURLOPT_PROXY, proxy) }

        switch request.method {
        case "GET": set(CURLOPT_HTTPGET, 1)
        case "HEAD": set(CURLOPT_NOBODY, 1)
        default: set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            _ = ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { _ = ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)) }
        }
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        if let authorization { lines.append("Authorization: \(authorization)") }
        lines.append("Expect:")  // no 100-continue round trip for bodies
        for line in lines { headerList = curl_slist_append(headerList, line) }
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList)

        let tls = configuration.tls
        func source(_ source: TLSOptions.Source?, file: CURLoption, blob: CURLoption) {
            switch source {
            case .file(let path): set(file, path)
            case .pem(let data): data.withUnsafeBytes { _ = ccurl_easy_setopt_blob(easy, blob, $0.baseAddress, $0.count) }
            case nil: break
            }
        }
        source(tls.certificateAuthority, file: CURLOPT_CAINFO, blob: CURLOPT_CAINFO_BLOB)
        source(tls.clientCertificate, file: CURLOPT_SSLCERT, blob: CURLOPT_SSLCERT_BLOB)
        source(tls.clientKey, file: CURLOPT_SSLKEY, blob: CURLOPT_SSLKEY_BLOB)
        if tls.insecureSkipVerify {
            set(CURLOPT_SSL_VERIFYPEER, 0)
            set(CURLOPT_SSL_VERIFYHOST, 0)
        }

        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        // A callback that returns less than it was given aborts the transfer (CURLE_WRITE_ERROR).
        _ = ccurl_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.received(UnsafeRawBufferPointer(start: data, count: size * count)) ? size * count : 0
        }
        _ = ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me)
        _ = ccurl_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            return transfer.receivedHeader(String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)) ? size * count : 0
        }
    }

    // MARK: Engine-thread callbacks

    /// false: abort (a whole answer announced larger than the bound).
    private func receivedHeader(_ line: String) -> Bool {
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response (after 100 Continue or a proxy's CONNECT)
        } else if line == "\r\n" || line == "\n" {
            var code = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            if code >= 200 {
                status = code
                if case .buffered = waiter, let maximumSize, let length = header("content-length").flatMap({ Int($0) }), length > maximumSize {
                    tooLarge = true
                    return false
                }
                deliverHead()
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers.append((name, value))
        }
        return true
    }

    private func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// false: abort (the body, or a stream's line, passed the bound).
    private func received(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch waiter {
        case .streaming(_, let body):
            if let maximumSize {
                if let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) { lineLength = bytes.count - newline - 1 } else { lineLength += bytes.count }
                guard lineLength <= maximumSize else {
                    tooLarge = true
                    return false
                }
            }
            deliverHead()
            body.yield(Data(bytes))
        default:
            guard maximumSize.map({ body.count + bytes.count <= $0 }) ?? true else {
                tooLarge = true
                return false
            }
            body.append(contentsOf: bytes)
        }
        return true
    }

    private func deliverHead() {
        guard case .streaming(let head?, let body) = waiter, let bodyStream else { return }
        waiter = .streaming(head: nil, body: body)
        head.resume(returning: HTTPStreamResponse(status: status, headers: headers, body: bodyStream))
    }

    /// Sets up streaming delivery; must be called before `start`.
    func streamBody() -> AsyncThrowingStream<Data, any Error>.Continuation {
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        bodyStream = stream
        return continuation
    }

    func finish(_ result: CURLcode, cancelled: Bool) {
        guard !finished else { return }
        finished = true
        var connections = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connections)
        if connections > 0 { onConnections(connections) }
        let error: (any Error)? =
            cancelled
            ? CancellationError()
            : tooLarge
                ? HTTPError.responseTooLarge(limit: maximumSize ?? 0, url: url)
                : result == CURLE_OK ? nil : describe(result)
        if error == nil && status == 0 {
            var code = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        switch waiter {
        case .buffered(let continuation):
            if let error {
                continuation.resume(throwing: error)
            } else {
                continuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body))
            }
        case .streaming(let head, let body):
            if let head {
                if let error {
                    head.resume(throwing: error)
                } else {
                    waiter = .streaming(head: head, body: body)
                    deliverHead()
                }
            }
            if let error { body.finish(throwing: error) } else { body.finish() }
        case nil:
            break
        }
        waiter = nil
    }

    private func describe(_ code: CURLcode) -> HTTPError {
        let detail = String(cString: errorBuffer).isEmpty ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
        switch code {
        case CURLE_COULDNT_CONNECT: return .connectionRefused(host: host, port: port, detail: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .dnsFailure(host: host)
        case CURLE_OPERATION_TIMEDOUT: return .timeout(seconds: timeoutSeconds ?? 0, url: url)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE: return .tlsVerificationFailed(host: host, reason: detail)
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND: return .tls(host: host, reason: detail)
        case CURLE_UNSUPPORTED_PROTOCOL where detail.contains("HTTP/0.9"), CURLE_WEIRD_SERVER_REPLY: return .notHTTP(host: host, port: port)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidURL(url)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            // A TLS alert after the handshake (a rejected client certificate) arrives as a receive error.
            return detail.contains("SSL") || detail.contains("alert") ? .tls(host: host, reason: detail) : .connectionLost(reason: detail)
        default: return .transport(code: Int(code.rawValue), reason: detail)
        }
    }
}

/// A counter shared by a client and its transfers.
final class LiveCount: Sendable {
    let value = Atomic<Int>(0)
}
