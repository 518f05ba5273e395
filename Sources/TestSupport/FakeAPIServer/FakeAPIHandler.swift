import Foundation
import Hummingbird
import KubeModel
import NIOCore

/// Turns HTTP requests into operations on `FakeAPIState`, answering as the apiserver does.
struct FakeAPIHandler: Sendable {
    let state: FakeAPIState
    let options: FakeAPIServer.Options

    struct Target {
        var resource: FakeResource
        var key: FakeAPIState.ResourceKey
        var namespace: String?
        var name: String?
        var subresource: String?
        /// The field manager of a write: `?fieldManager=`, else the client's user agent's first word.
        var manager = "unknown"
        /// `?dryRun=All`: a write admitted and answered as if stored, and not stored.
        var dryRun = false
    }

    func respond(to request: Request) async -> Response {
        if request.uri.path.hasPrefix("/fake/") {
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            return await control(request.uri.path, query)
        }
        let body = (try? await request.body.collect(upTo: 64 << 20)).map { Data(buffer: $0) } ?? Data()
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        let recorded = RecordedRequest(
            method: request.method.rawValue, path: request.uri.path, query: query,
            contentType: request.headers[.contentType], body: body, userAgent: request.headers[.userAgent])
        let fault = await state.record(recorded)
        // A hung request: the connection stays open and silent (until the client gives up).
        while await state.hangs(recorded), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
        let latency = await state.latency
        if latency > .zero { try? await Task.sleep(for: latency) }
        if let fault {
            var response = status(
                fault.code, fault.reason,
                fault.code == 409
                    ? "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again"
                    : "injected fault: HTTP \(fault.code)")
            if let seconds = fault.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
            return response
        }
        guard var target = route(request.uri.path) else {
            return status(404, "NotFound", "the server could not find the requested resource")
        }
        let agent = request.headers[.userAgent].flatMap { $0.split(separator: "/").first.map(String.init) }
        target.manager = query["fieldManager"] ?? agent ?? "unknown"
        target.dryRun = query["dryRun"] == "All"
        do {
            return try await dispatch(request.method, target, query: query, body: body, contentType: recorded.contentType)
        } catch let failure as Failure {
            return failure.response
        } catch {
            return status(500, "InternalError", "Internal error occurred: \(error)")
        }
    }

    /// Test controls for a double in another process: `/fake/requests` (the log as JSON, wall-clock
    /// times in seconds), `/fake/clear`, and `/fake/count?group=G&plural=P`.
    private func control(_ path: String, _ query: [String: String]) async -> Response {
        switch path {
        case "/fake/count":
            let count = await state.all(.init(group: query["group"] ?? "", plural: query["plural"] ?? ""), namespace: nil).count
            return json(.object(["count": .integer(Int64(count))]))
        case "/fake/requests":
            let log = await state.requests.map { request -> JSONValue in
                .object([
                    "method": .string(request.method), "path": .string(request.path), "watch": .bool(request.isWatch),
                    "query": .string(request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")),
                    "time": .number(request.time.timeIntervalSince1970),
                ])
            }
            return json(.object(["requests": .array(log)]))
        case "/fake/clear":
            await state.clearRequests()
            return status(200, "", "")
        default:
            return status(404, "NotFound", "unknown control \(path)")
        }
    }

    /// `/api/v1/...` and `/apis/<group>/<version>/...`, namespaced or not, with an optional name and subresource.
    func route(_ path: String) -> Target? {
        var segments = path.split(separator: "/").map(String.init)
        let group: String
        let version: String
        if segments.first == "api", segments.count >= 2 {
            group = ""
            version = segments[1]
            segments.removeFirst(2)
        } else if segments.first == "apis", segments.count >= 3 {
            group = segments[1]
            version = segments[2]
            segments.removeFirst(3)
        } else {
            return nil
        }
        var namespace: String?
        if segments.count >= 3, segments[0] == "namespaces" {
            namespace = segments[1]
            segments.removeFirst(2)
        }
        guard let plural = segments.first, segments.count <= 3,
            let resource = options.resources.first(where: { $0.group == group && $0.version == version && $0.plural == plural }),
            resource.namespaced || namespace == nil
        else { return nil }
        return Target(
            resource: resource, key: .init(group: group, plural: plural), namespace: namespace,
            name: segments.count > 1 ? segments[1] : nil, subresource: segments.count > 2 ? segments[2] : nil)
    }

    private func dispatch(_ method: HTTPRequest.Method, _ target: Target, query: [String: String], body: Data, contentType: String?) async throws -> Response {
        if target.dryRun, method == .delete || target.subresource != nil {
            throw badRequest("the double models dryRun=All only for create, update and patch of an object")
        }
        switch (method, target.name, target.subresource) {
        case (.get, nil, nil):
            return query["watch"] == "1" || query["watch"] == "true" ? try await watch(target, query) : try await list(target, query)
        case (.get, _?, nil), (.get, _?, "status"):
            return json(try await existing(target).object)
        case (.get, _?, "scale") where target.resource.hasScaleSubresource:
            return json(scale(of: try await existing(target).object, target.resource))
        case (.post, nil, nil):
            do { return try await create(target, body) } catch let lost as RaceLost {
                throw failure(409, "AlreadyExists", "\(target.resource.qualifiedName) \"\(lost.name)\" already exists", target, name: lost.name)
            }
        case (.put, _?, nil), (.put, _?, "status"):
            // An update naming the resourceVersion it read loses a race with 409; one without is retried.
            let precondition = (try? JSONValue(parsing: body))?["metadata"]?["resourceVersion"]?.stringValue.map { !$0.isEmpty } ?? false
            if precondition {
                do { return try await update(target, body) } catch is RaceLost { throw conflict(target, "the object has been modified; please apply your changes to the latest version and try again") }
            }
            return try await retryingRaces { try await self.update(target, body) }
        case (.patch, _?, nil), (.patch, _?, "status"):
            return try await retryingRaces { try await self.patch(target, query, body, contentType: contentType ?? "") }
        case (.patch, _?, "scale") where target.resource.hasScaleSubresource:
            return try await retryingRaces { try await self.patchScale(target, body) }
        case (.delete, _?, nil):
            return try await retryingRaces { try await self.delete(target, body) }
        default:
            return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        }
    }
}

// MARK: - Responses

/// An error answer, thrown from deep inside an operation.
struct Failure: Error {
    var response: Response
}

extension FakeAPIHandler {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func json(_ value: JSONValue, code: Int = 200) -> Response {
        let data = (try? Self.encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: .init(code: code), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    func status(_ code: Int, _ reason: String, _ message: String, details: JSONValue? = nil) -> Response {
        var members: [String: JSONValue] = [
            "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
            "status": .string(code < 300 ? "Success" : "Failure"), "code": .integer(Int64(code)),
        ]
        if !message.isEmpty { members["message"] = .string(message) }
        if !reason.isEmpty { members["reason"] = .string(reason) }
        if let details { members["details"] = details }
        return json(.object(members), code: code)
    }

    func failure(_ code: Int, _ reason: String, _ message: String, _ target: Target? = nil, name: String? = nil) -> Failure {
        var details: JSONValue?
        if let target {
            details = .object(["name": .string(name ?? target.name ?? ""), "group": .string(target.resource.group), "kind": .string(target.resource.plural)])
        }
        return Failure(response: status(code, reason, message, details: details))
    }

    func notFound(_ target: Target, name: String? = nil) -> Failure {
        failure(404, "NotFound", "\(target.resource.qualifiedName) \"\(name ?? target.name ?? "")\" not found", target, name: name)
    }

    func conflict(_ target: Target, _ message: String) -> Failure {
        failure(409, "Conflict", "Operation cannot be fulfilled on \(target.resource.qualifiedName) \"\(target.name ?? "")\": \(message)", target)
    }

    func badRequest(_ message: String) -> Failure {
        failure(400, "BadRequest", message)
    }

    /// Patches, deletes and unconditional updates are retried against the newest object when a
    /// concurrent write got in first, as the apiserver's GuaranteedUpdate does.
    private func retryingRaces(_ attempt: () async throws -> Response) async throws -> Response {
        for _ in 0..<10 {
            do { return try await attempt() } catch is RaceLost { continue }
        }
        return try await attempt()
    }
}

/// A write lost to a concurrent one between reading the object and storing it.
struct RaceLost: Error {
    var name: String
}
