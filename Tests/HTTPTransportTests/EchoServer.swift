import Foundation
import Hummingbird
import NIOCore
import Synchronization
import TestSupport

/// `/hang?id=…` requests the echo servers have received and not answered, by id, so a test waits
/// for its requests to arrive instead of sleeping.
let hangingRequests = Mutex<[String: Int]>([:])

/// Echoes what it received, or misbehaves on request, so the client's handling can be observed.
let echoHandler: TestHTTPServer.Handler = { request, context in
    let body = try await request.body.collect(upTo: 1 << 20)
    let forever = request.uri.queryParameters["forever"] != nil
    switch request.uri.path {
    case "/hang":
        let id = request.uri.queryParameters["id"].map(String.init) ?? ""
        hangingRequests.withLock { $0[id, default: 0] += 1 }
        defer { hangingRequests.withLock { $0[id, default: 0] -= 1 } }
        // Longer than any bound a test waits: a request that was not cancelled never ends in time.
        try await Task.sleep(for: .seconds(3600))
        return Response(status: .ok)
    case "/big":
        // `bytes` of x, announced (Content-Length) or not (chunked, in 64 KiB parts).
        let count = Int(request.uri.queryParameters["bytes"].map(String.init) ?? "") ?? 0
        if request.uri.queryParameters["chunked"] == nil {
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: count)))
        }
        return Response(
            status: .ok,
            body: ResponseBody { writer in
                try await writeExes(count, to: &writer)
                try await writer.finish(nil)
            })
    case "/lines":
        // Short lines, then one of `bytes` without a newline.
        let count = Int(request.uri.queryParameters["bytes"].map(String.init) ?? "") ?? 0
        return Response(
            status: .ok,
            body: ResponseBody { writer in
                for _ in 0..<3 { try await writer.write(ByteBuffer(string: "{\"short\":1}\n")) }
                try await writeExes(count, to: &writer)
                try await writer.finish(nil)
            })
    case "/stream":
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                for index in 0..<3 {
                    try await writer.write(ByteBuffer(string: "{\"n\":\(index)}\n"))
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await writer.write(ByteBuffer(string: "{\"n\":"))
                try await Task.sleep(for: .milliseconds(20))
                try await writer.write(ByteBuffer(string: "3}\n"))
                if forever {
                    try await Task.sleep(for: .seconds(3600))
                }
                try await writer.finish(nil)
            })
    default:
        let authorization = request.headers[.authorization] ?? ""
        let text = "\(request.method) \(request.uri.path) auth=\(authorization) body=\(String(buffer: body))"
        return Response(
            status: .init(code: Int(request.uri.queryParameters["status"].flatMap { Int(String($0)) } ?? 200)),
            headers: [.contentType: "text/plain", .init("X-Echo")!: "yes"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// `count` bytes of x, in 64 KiB parts.
func writeExes(_ count: Int, to writer: inout any ResponseBodyWriter) async throws {
    var left = count
    while left > 0 {
        try await writer.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: min(left, 65_536)))
        left -= 65_536
    }
}
