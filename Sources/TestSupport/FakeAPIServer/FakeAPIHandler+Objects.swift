import Foundation
import Hummingbird
import KubeModel

/// Single-object verbs: get, create, update, patch (merge, JSON, apply), delete, scale.
extension FakeAPIHandler {
    func objectKey(_ target: Target, name: String) -> FakeAPIState.ObjectKey {
        .init(namespace: target.resource.namespaced ? (target.namespace ?? "") : "", name: name)
    }

    func existing(_ target: Target) async throws -> FakeAPIState.Stored {
        guard let name = target.name, let stored = await state.stored(target.key, objectKey(target, name: name)) else { throw notFound(target) }
        return stored
    }

    func decodeObject(_ body: Data) throws -> JSONValue {
        guard let value = try? JSONValue(parsing: body), case .object = value else {
            throw badRequest("the request body is not a JSON object")
        }
        return value
    }

    func create(_ target: Target, _ body: Data) async throws -> Response {
        var object = try decodeObject(body)
        try checkType(object, target)
        var metadata = object["metadata"] ?? .object([:])
        if let namespace = metadata["namespace"]?.stringValue, let pathNamespace = target.namespace, namespace != pathNamespace {
            throw badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if metadata["name"]?.stringValue?.isEmpty ?? true {
            guard let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty else {
                throw invalid(target, name: "", [("metadata.name", "Required value: name or generateName is required")])
            }
            metadata["name"] = .string(prefix + String(UUID().uuidString.lowercased().prefix(5)))
        }
        let name = metadata["name"]!.stringValue!
        if target.resource.namespaced { metadata["namespace"] = .string(target.namespace ?? "default") }
        object["metadata"] = metadata
        var named = target
        named.name = name
        named.namespace = target.resource.namespaced ? (target.namespace ?? "default") : nil
        if await state.stored(target.key, objectKey(named, name: name)) != nil {
            throw failure(409, "AlreadyExists", "\(target.resource.qualifiedName) \"\(name)\" already exists", target, name: name)
        }
        if target.resource.hasStatusSubresource { object["status"] = target.resource.zeroStatus }
        let stored = try await commit(named, object, old: nil) { admitted in
            var managed = ManagedFields()
            managed.recordUpdate(by: target.manager, from: nil, to: admitted, zeroNodes: target.resource.zeroNodes, apiVersion: target.resource.apiVersion, time: Self.now())
            return managed
        }
        return json(stored, code: 201)
    }

    func update(_ target: Target, _ body: Data) async throws -> Response {
        let incoming = try decodeObject(body)
        try checkType(incoming, target)
        let old = try await existing(target)
        if let name = incoming["metadata"]?["name"]?.stringValue, name != target.name {
            throw badRequest("the name of the object (\(name)) does not match the name on the URL (\(target.name ?? ""))")
        }
        if let version = incoming["metadata"]?["resourceVersion"]?.stringValue, !version.isEmpty,
            version != old.object["metadata"]?["resourceVersion"]?.stringValue
        {
            throw conflict(target, "the object has been modified; please apply your changes to the latest version and try again")
        }
        let merged =
            target.subresource == "status"
            ? withMember("status", of: incoming, into: old.object)
            : keepingServerFields(of: old.object, in: incoming, keepStatus: target.resource.hasStatusSubresource)
        return json(try await commit(target, merged, old: old) { updated(old, to: $0, by: target) })
    }

    func patch(_ target: Target, _ query: [String: String], _ body: Data, contentType: String) async throws -> Response {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if mediaType == "application/apply-patch+yaml" { return try await apply(target, query, body) }
        let old = try await existing(target)
        guard let patch = try? JSONValue(parsing: body) else { throw badRequest("the patch body is not JSON") }
        try checkPrecondition(patch, old, target)
        var patched: JSONValue
        switch mediaType {
        case "application/merge-patch+json", "application/strategic-merge-patch+json":
            // Strategic merge is treated as a JSON merge patch: the double knows no patch strategies.
            patched = old.object.mergePatched(with: patch)
        case "application/json-patch+json":
            do { patched = try JSONPatching.jsonPatch(old.object, patch) } catch { throw failure(422, "Invalid", "the JSON patch could not be applied: \(error.message)") }
        default:
            throw failure(
                415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
        patched =
            target.subresource == "status"
            ? withMember("status", of: patched, into: old.object)
            : keepingServerFields(of: old.object, in: patched, keepStatus: target.resource.hasStatusSubresource)
        return json(try await commit(target, patched, old: old) { updated(old, to: $0, by: target) })
    }

    /// A merge patch that names a `metadata.resourceVersion` is conditional, as the apiserver's:
    /// applied to an object of another version, 409.
    private func checkPrecondition(_ patch: JSONValue, _ old: FakeAPIState.Stored, _ target: Target) throws {
        if let version = patch["metadata"]?["resourceVersion"]?.stringValue, version != old.object["metadata"]?["resourceVersion"]?.stringValue {
            throw conflict(target, "the object has been modified; please apply your changes to the latest version and try again")
        }
    }

    /// A merge patch of the Scale (`{"spec":{"replicas":N}}`, as `kubectl scale` sends): sets the
    /// object's spec.replicas and answers the new Scale. The Scale's resourceVersion is its object's.
    func patchScale(_ target: Target, _ body: Data) async throws -> Response {
        let old = try await existing(target)
        guard let patch = try? JSONValue(parsing: body) else { throw badRequest("the patch body is not JSON") }
        try checkPrecondition(patch, old, target)
        guard case .integer(let replicas)? = patch["spec"]?["replicas"], replicas >= 0 else {
            throw failure(422, "Invalid", "Scale.autoscaling \"\(target.name!)\" is invalid: spec.replicas: Invalid value: must be greater than or equal to 0")
        }
        let patched = old.object.mergePatched(with: .object(["spec": .object(["replicas": .integer(replicas)])]))
        let stored = try await commit(target, patched, old: old) { updated(old, to: $0, by: target) }
        return json(scale(of: stored, target.resource))
    }

    /// The ownership after an update (status writes are not tracked: nothing here reads them). A
    /// client that wrote managedFields itself gets them as written.
    private func updated(_ old: FakeAPIState.Stored, to new: JSONValue, by target: Target) -> ManagedFields {
        if new["metadata"]?["managedFields"] != old.object["metadata"]?["managedFields"],
            let written = ManagedFields(parsing: new["metadata"]?["managedFields"])
        {
            return written
        }
        var managed = old.managed
        if target.subresource != "status" {
            managed.recordUpdate(by: target.manager, from: old.object, to: new, apiVersion: target.resource.apiVersion, time: Self.now())
        }
        return managed
    }

    /// Server-side apply: creates when absent. Otherwise a field another manager owns with another
    /// value is a 409 conflict, unless forced (then it changes hands); the fields this manager
    /// applied before and no longer does are removed, unless another manager owns them too; and the
    /// applied values are laid over the rest.
    private func apply(_ target: Target, _ query: [String: String], _ body: Data) async throws -> Response {
        guard let manager = query["fieldManager"], !manager.isEmpty else {
            throw badRequest("PATCH requests with apply content type require fieldManager")
        }
        var applied = try decodeObject(body)
        try checkType(applied, target)
        if target.resource.hasStatusSubresource && target.subresource != "status" { applied["status"] = nil }
        let paths = ManagedFields.paths(of: applied)
        let apiVersion = target.resource.apiVersion
        guard let old = await state.stored(target.key, objectKey(target, name: target.name!)) else {
            var object = applied
            object["metadata"]?["name"] = .string(target.name!)
            if target.resource.namespaced { object["metadata"]?["namespace"] = .string(target.namespace ?? "default") }
            if target.resource.hasStatusSubresource { object["status"] = target.resource.zeroStatus }
            var managed = ManagedFields()
            managed.recordApply(by: manager, fields: paths, taking: [], apiVersion: apiVersion, time: Self.now())
            // The captured apiserver answers 200 to an apply that creates (shared/k8s-wire/README.md).
            return json(try await commit(target, object, old: nil) { _ in managed })
        }
        let contested = paths.filter { ManagedFields.value(at: $0, in: applied) != ManagedFields.value(at: $0, in: old.object) }
        let conflicts = contested.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { path in
            old.managed.otherOwners(of: path, than: manager).map { (path: path, owner: $0) }
        }
        if !conflicts.isEmpty && query["force"] != "true" {
            throw applyConflict(target, conflicts, apiVersion: apiVersion)
        }
        var base = old.object
        for stale in old.managed.fields(of: manager, operation: "Apply").subtracting(paths) where old.managed.otherOwners(of: stale, than: manager).isEmpty {
            base = ManagedFields.removing(stale, from: base)
        }
        var managed = old.managed
        managed.recordApply(by: manager, fields: paths, taking: Set(conflicts.map(\.path)), apiVersion: apiVersion, time: Self.now())
        return json(try await commit(target, ManagedFields.overlay(base, applied), old: old) { _ in managed })
    }

    /// 409 as the apiserver words an apply conflict.
    private func applyConflict(_ target: Target, _ conflicts: [(path: FieldPath, owner: String)], apiVersion: String) -> Failure {
        func field(_ path: FieldPath) -> String { path.map { $0.hasPrefix("k:") ? "[\($0.dropFirst(2))]" : ".\($0)" }.joined() }
        let list = conflicts.map { "conflict with \"\($0.owner)\" using \(apiVersion): \(field($0.path))" }
        let summary = list.count == 1 ? "Apply failed with 1 conflict: \(list[0])" : "Apply failed with \(list.count) conflicts: \(list.joined(separator: "\n"))"
        let details: JSONValue = .object([
            "causes": .array(
                conflicts.map { conflict in
                    .object(["reason": .string("FieldManagerConflict"), "message": .string("conflict with \"\(conflict.owner)\" using \(apiVersion)"), "field": .string(field(conflict.path))])
                })
        ])
        return Failure(response: status(409, "Conflict", summary, details: details))
    }

    func delete(_ target: Target, _ body: Data) async throws -> Response {
        let old = try await existing(target)
        let uid = old.object["metadata"]?["uid"]?.stringValue ?? ""
        if let options = try? JSONValue(parsing: body), let wanted = options["preconditions"]?["uid"]?.stringValue, wanted != uid {
            throw conflict(target, "Precondition failed: UID in precondition: \(wanted), UID in object meta: \(uid)")
        }
        guard
            await state.write(
                target.key, objectKey(target, name: target.name!), nil, expecting: old.object["metadata"]?["resourceVersion"]?.stringValue,
                eventType: "DELETED", eventObject: old.object) != nil
        else { throw RaceLost(name: target.name!) }
        return status(
            200, "", "",
            details: .object([
                "name": .string(target.name!), "group": .string(target.resource.group), "kind": .string(target.resource.plural), "uid": .string(uid),
            ]))
    }

    /// autoscaling/v1 Scale from spec.replicas, status.replicas and spec.selector. As on the real
    /// apiserver, a spec.replicas of 0 is left out (`omitempty`), status.replicas never is.
    func scale(of object: JSONValue, _ resource: FakeResource) -> JSONValue {
        let metadata = object["metadata"] ?? .object([:])
        var scaleMetadata: [String: JSONValue] = [:]
        for key in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] { scaleMetadata[key] = metadata[key] }
        var selectorText = ""
        if let selector = object["spec"]?["selector"], let data = try? JSONEncoder().encode(selector),
            let parsed = try? JSONDecoder().decode(LabelSelector.self, from: data)
        {
            selectorText = parsed.selector.description
        }
        return .object([
            "kind": .string("Scale"), "apiVersion": .string("autoscaling/v1"), "metadata": .object(scaleMetadata),
            "spec": .object(object["spec"]?["replicas"].flatMap { $0 == .integer(0) ? nil : $0 }.map { ["replicas": $0] } ?? [:]),
            "status": .object(["replicas": object["status"]?["replicas"] ?? .integer(0), "selector": .string(selectorText)]),
        ])
    }

    // MARK: Writing

    /// Stamps server fields, runs admission (not for status writes: the main resource as stored
    /// stays), and stores with a new resourceVersion and the ownership `managed` gives for the
    /// admitted object — unless nothing changed, in which case the stored object is returned
    /// untouched (as the apiserver does).
    private func commit(
        _ target: Target, _ proposed: JSONValue, old: FakeAPIState.Stored?,
        managed ownership: (JSONValue) -> ManagedFields
    ) async throws -> JSONValue {
        var object = proposed
        object["kind"] = .string(target.resource.kind)
        object["apiVersion"] = .string(target.resource.apiVersion)
        if target.subresource != "status" {
            do {
                object = try options.admit(target.resource, object, old?.object)
            } catch let invalid as FakeAPIServer.Invalid {
                throw self.invalid(target, name: object["metadata"]?["name"]?.stringValue ?? "", invalid.causes)
            }
        }
        let managed = ownership(object)
        object["metadata"]?["managedFields"] = managed.json
        if let old, Self.comparable(old.object) == Self.comparable(object) {
            return old.object
        }
        var metadata = object["metadata"] ?? .object([:])
        if let old {
            let oldMetadata = old.object["metadata"]
            metadata["uid"] = oldMetadata?["uid"]
            metadata["creationTimestamp"] = oldMetadata?["creationTimestamp"]
            let generation: Int64 = { if case .integer(let value)? = oldMetadata?["generation"] { return value } else { return 1 } }()
            metadata["generation"] = .integer(old.object["spec"] == object["spec"] ? generation : generation + 1)
        } else {
            metadata["uid"] = .string(UUID().uuidString.lowercased())
            metadata["creationTimestamp"] = .string(Self.now())
            metadata["generation"] = .integer(1)
        }
        if target.dryRun {
            // As v1.33.3 answered one (k8s-wire/v1.33): no resourceVersion, no generation.
            metadata["generation"] = nil
            object["metadata"] = metadata
            return object
        }
        object["metadata"] = metadata
        let key = objectKey(target, name: metadata["name"]?.stringValue ?? target.name ?? "")
        // Another writer may have got in since `old` was read: then this write loses, as with etcd.
        guard
            let stored = await state.write(
                target.key, key, .init(object: object, managed: managed), expecting: old?.object["metadata"]?["resourceVersion"]?.stringValue,
                eventType: old == nil ? "ADDED" : "MODIFIED", eventObject: object)
        else { throw RaceLost(name: key.name) }
        return stored
    }

    /// The object without what changes on every write, to detect no-op writes. managedFields count:
    /// a change of ownership alone is a change (their times move only when their fields do).
    static func comparable(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["metadata"]?["resourceVersion"] = nil
        copy["metadata"]?["generation"] = nil
        return copy.withoutNullMembers
    }

    private func keepingServerFields(of old: JSONValue, in incoming: JSONValue, keepStatus: Bool) -> JSONValue {
        keepStatus ? withMember("status", of: old, into: incoming) : incoming
    }

    private func withMember(_ member: String, of source: JSONValue, into target: JSONValue) -> JSONValue {
        var result = target
        result[member] = source[member]
        return result
    }

    private func checkType(_ object: JSONValue, _ target: Target) throws {
        if let kind = object["kind"]?.stringValue, kind != target.resource.kind {
            throw badRequest("the object's kind \(kind) does not match the resource \(target.resource.qualifiedName)")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, apiVersion != target.resource.apiVersion {
            throw badRequest("the object's apiVersion \(apiVersion) does not match the resource's \(target.resource.apiVersion)")
        }
    }

    func invalid(_ target: Target, name: String, _ causes: [(field: String, message: String)]) -> Failure {
        let group = target.resource.group.isEmpty ? "" : ".\(target.resource.group)"
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let details: JSONValue = .object([
            "name": .string(name), "group": .string(target.resource.group), "kind": .string(target.resource.kind),
            "causes": .array(causes.map { .object(["reason": .string("FieldValueInvalid"), "message": .string($0.message), "field": .string($0.field)]) }),
        ])
        return Failure(response: status(422, "Invalid", "\(target.resource.kind)\(group) \"\(name)\" is invalid: [\(summary)]", details: details))
    }

    static func now() -> String {
        Timestamp.rfc3339(Date())
    }
}
