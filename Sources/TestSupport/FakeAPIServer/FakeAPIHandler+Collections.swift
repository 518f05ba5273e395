import Foundation
import Hummingbird
import KubeModel
import NIOCore
import ServiceLifecycle

/// List and watch.
extension FakeAPIHandler {
    /// Selects objects by label and field selectors, as the apiserver does.
    struct Filter {
        var labels = Selector()
        var fields: [(key: String, value: String, equal: Bool)] = []

        func matches(_ object: JSONValue) -> Bool {
            var labelSet: [String: String] = [:]
            if case .object(let members)? = object["metadata"]?["labels"] {
                for (key, value) in members { labelSet[key] = value.stringValue ?? "" }
            }
            guard labels.matches(labelSet) else { return false }
            return fields.allSatisfy { field in
                let path = field.key.split(separator: ".").map(String.init)
                var value: JSONValue? = object
                for part in path { value = value?[part] }
                return (value?.stringValue ?? "" == field.value) == field.equal
            }
        }
    }

    func filter(_ query: [String: String]) throws -> Filter {
        var filter = Filter()
        if let text = query["labelSelector"], !text.isEmpty {
            do { filter.labels = try Selector(parsing: text) } catch { throw badRequest("unable to parse requirement: \(error.problem)") }
        }
        for term in (query["fieldSelector"] ?? "").split(separator: ",") {
            let text = String(term)
            let (separator, equal) = text.contains("!=") ? ("!=", false) : (text.contains("==") ? "==" : "=", true)
            let parts = text.components(separatedBy: separator)
            guard parts.count == 2, ["metadata.name", "metadata.namespace"].contains(parts[0]) else {
                throw badRequest("field label not supported: \(parts.first ?? text)")
            }
            filter.fields.append((parts[0], parts[1], equal))
        }
        return filter
    }

    func list(_ target: Target, _ query: [String: String]) async throws -> Response {
        var items: [JSONValue]
        var revision: Int
        if let token = query["continue"], !token.isEmpty {
            guard let snapshot = await state.takeSnapshot(token) else {
                throw failure(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            (revision, items) = snapshot
        } else {
            let filter = try filter(query)
            let snapshot = await state.snapshot(target.key, namespace: target.namespace)
            revision = snapshot.revision
            items = snapshot.objects.map(\.1.object).filter(filter.matches).map { item in
                // List items carry no kind or apiVersion; the list does.
                var item = item
                item["kind"] = nil
                item["apiVersion"] = nil
                return item
            }
        }
        var metadata: [String: JSONValue] = ["resourceVersion": .string(String(revision))]
        if let limit = query["limit"].flatMap(Int.init), limit > 0, items.count > limit {
            let token = UUID().uuidString.lowercased()
            await state.saveSnapshot(token, revision: revision, items: Array(items[limit...]))
            metadata["continue"] = .string(token)
            metadata["remainingItemCount"] = .integer(Int64(items.count - limit))
            items = Array(items[..<limit])
        }
        return json(
            .object([
                "kind": .string("\(target.resource.kind)List"), "apiVersion": .string(target.resource.apiVersion),
                "metadata": .object(metadata), "items": .array(items),
            ]))
    }

    private enum WatchItem: Sendable {
        case event(StoredEvent)
        case bookmark
        case end
    }

    struct WatchDropped: Error {}

    func watch(_ target: Target, _ query: [String: String]) async throws -> Response {
        let filter = try filter(query)
        var from: Int?
        if let text = query["resourceVersion"], !text.isEmpty, text != "0" {
            guard let version = Int(text) else { throw badRequest("invalid resourceVersion '\(text)'") }
            from = version
        }
        let headers: HTTPFields = [.contentType: "application/json"]
        switch await state.startWatch(target.key, namespace: target.namespace, from: from) {
        case .expired:
            let status: JSONValue = .object([
                "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]), "status": .string("Failure"),
                "message": .string("The resourceVersion for the provided watch is too old."), "reason": .string("Expired"), "code": .integer(410),
            ])
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: line("ERROR", status))))
        case .started(let replay, let live, let id, let startRevision):
            let timeout = query["timeoutSeconds"].flatMap(Int.init).map { Duration.seconds($0) } ?? .seconds(1800)
            let bookmarks = query["allowWatchBookmarks"] == "true"
            let (items, feed) = AsyncStream<WatchItem>.makeStream()
            let tasks = [
                Task {
                    for await event in live { feed.yield(.event(event)) }
                    feed.yield(.end)
                },
                Task {
                    try? await Task.sleep(for: timeout)
                    feed.yield(.end)
                },
                // The server is stopping (the task inherits the request's shutdown context).
                Task {
                    try? await gracefulShutdown()
                    feed.yield(.end)
                },
                Task {
                    while bookmarks && !Task.isCancelled {
                        try? await Task.sleep(for: options.bookmarkInterval)
                        feed.yield(.bookmark)
                    }
                },
            ]
            let state = self.state
            let resource = target.resource
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    defer {
                        tasks.forEach { $0.cancel() }
                        Task { await state.stopWatch(target.key, id: id) }
                    }
                    let dropAfter = await state.dropWatchesAfterEvents
                    var sent = 0
                    // Bookmarks carry the revision this watch has delivered everything up to, as the
                    // apiserver's do: a watch resumed from one misses nothing.
                    var delivered = startRevision
                    func send(_ event: StoredEvent) async throws {
                        defer { delivered = max(delivered, event.resourceVersion) }
                        guard filter.matches(event.object) else { return }
                        if let dropAfter, sent >= dropAfter { throw WatchDropped() }
                        try await writer.write(ByteBuffer(bytes: line(event.type, event.object)))
                        sent += 1
                    }
                    if await state.endWatchesAtOnce {
                        try await writer.finish(nil)
                        return
                    }
                    for event in replay { try await send(event) }
                    for await item in items {
                        switch item {
                        case .event(let event): try await send(event)
                        case .bookmark: try await writer.write(ByteBuffer(bytes: line("BOOKMARK", bookmark(resource, delivered))))
                        case .end:
                            if bookmarks { try await writer.write(ByteBuffer(bytes: line("BOOKMARK", bookmark(resource, delivered)))) }
                            try await writer.finish(nil)
                            return
                        }
                    }
                    try await writer.finish(nil)
                })
        }
    }

    private func line(_ type: String, _ object: JSONValue) -> Data {
        var data = (try? Self.encoder.encode(JSONValue.object(["type": .string(type), "object": object]))) ?? Data()
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// A bookmark object: only kind, apiVersion and the resourceVersion are meaningful, the rest is
    /// zero-valued, as the apiserver sends it.
    private func bookmark(_ resource: FakeResource, _ revision: Int) -> JSONValue {
        .object([
            "kind": .string(resource.kind), "apiVersion": .string(resource.apiVersion),
            "metadata": .object(["resourceVersion": .string(String(revision)), "creationTimestamp": .null]),
            "spec": .object([:]), "status": .object([:]),
        ])
    }
}
