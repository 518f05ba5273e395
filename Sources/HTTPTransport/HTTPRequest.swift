import Foundation

/// One HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Total time allowed, from connecting to the last byte; nil for no limit (watches).
    public var timeout: Duration?

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data? = nil, timeout: Duration? = .seconds(30)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared without case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A response whose body arrives as it is sent (watches): status and headers first, then chunks.
public struct HTTPStreamResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    /// Chunks as they arrive. Ending the iteration early (or cancelling the task) aborts the transfer.
    public var body: AsyncThrowingStream<Data, any Error>

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The whole remaining body (for error responses).
    public func collect() async throws -> Data {
        var data = Data()
        for try await chunk in body { data.append(chunk) }
        return data
    }

    /// The body split into lines (without their `\n`), however the chunks cut them.
    public var lines: AsyncThrowingStream<Data, any Error> {
        let body = self.body
        return AsyncThrowingStream { continuation in
            let task = Task {
                var splitter = LineSplitter()
                do {
                    for try await chunk in body {
                        for line in splitter.append(chunk) { continuation.yield(line) }
                    }
                    if let rest = splitter.finish() { continuation.yield(rest) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Reassembles `\n`-terminated lines from chunks cut anywhere.
public struct LineSplitter: Sendable {
    private var pending = Data()

    public init() {}

    /// The lines completed by this chunk; a trailing `\r` is removed, empty lines are skipped.
    public mutating func append(_ chunk: Data) -> [Data] {
        pending.append(chunk)
        var lines: [Data] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var end = newline
            if end > start, pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if end > start { lines.append(Data(pending[start..<end])) }
            start = newline + 1
        }
        pending = Data(pending[start...])
        return lines
    }

    /// What is left after the last newline, if anything.
    public mutating func finish() -> Data? {
        defer { pending = Data() }
        return pending.isEmpty ? nil : pending
    }
}
