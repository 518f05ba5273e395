import Foundation
import HTTPTransport
import KubeModel
import Synchronization

/// Options of a list call.
public struct ListOptions: Sendable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; `list` follows `continue` tokens through all pages.
    public var limit: Int?
    public var resourceVersion: String?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, resourceVersion: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.resourceVersion = resourceVersion
    }
}

/// A patch body and its media type.
public enum Patch: Sendable {
    /// RFC 7386 JSON merge patch; `fieldManager` names who owns what it changes (an Update entry).
    case merge(Data, fieldManager: String? = nil)
    /// RFC 6902 JSON patch.
    case json(Data)
    /// Server-side apply of a full object (JSON is YAML), owned by `fieldManager`.
    case apply(Data, fieldManager: String, force: Bool)

    var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .apply: return "application/apply-patch+yaml"
        }
    }
}

/// Typed REST verbs against one apiserver. Errors are `KubeError` (or `CancellationError`).
public final class KubeClient: Sendable {
    public let config: ClientConfig
    private let plugin: ExecCredentialPlugin?
    /// Rebuilt only when an exec plugin hands out a different client certificate.
    private let transport: Mutex<(certificate: String?, client: HTTPClient)>
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public init(config: ClientConfig) {
        self.config = config
        var http = HTTPClientConfiguration(tls: config.tls, proxy: config.proxy, userAgent: config.userAgent, maximumResponseSize: config.maximumResponseSize)
        if case .bearer(let token) = config.authentication { http.bearerToken = token }
        if case .exec(let exec, let directory) = config.authentication {
            plugin = ExecCredentialPlugin(config: exec, directory: directory)
        } else {
            plugin = nil
        }
        transport = Mutex((nil, HTTPClient(configuration: http)))
    }

    /// New connections opened so far (TLS handshakes, for https).
    public var connectionsOpened: Int { transport.withLock { $0.client.connectionsOpened } }

    // MARK: Verbs

    public func get<T: APIObject>(_ type: T.Type = T.self, namespace: String?, name: String) async throws -> T {
        try await decode(T.self, from: request("GET", T.resource.path(namespace: namespace, name: name)))
    }

    /// Lists every page. The returned list's resourceVersion is the last page's, as client-go uses it.
    public func list<T: APIObject>(_ type: T.Type = T.self, namespace: String? = nil, options: ListOptions = ListOptions()) async throws -> ObjectList<T> {
        var items: [T] = []
        let metadata = try await list(T.self, namespace: namespace, options: options) { items += $0 }
        return ObjectList(apiVersion: T.resource.apiVersion, kind: T.resource.kind + "List", metadata: metadata, items: items)
    }

    /// Lists every page, handing each page's items to `page` as it arrives (so a large list need
    /// never be held whole), and returns the last page's metadata: its resourceVersion is the
    /// list's, as client-go uses it.
    /// An item that does not decode is handed to `skipped` (with its name) and left out: one bad
    /// object never fails the whole list.
    @discardableResult
    public func list<T: APIObject>(
        _ type: T.Type = T.self, namespace: String? = nil, options: ListOptions = ListOptions(),
        skipped: (UndecodableObject) -> Void = { _ in }, page: ([T]) throws -> Void
    ) async throws -> ListMeta? {
        var continueToken: String?
        while true {
            var query = [
                ("labelSelector", options.labelSelector), ("fieldSelector", options.fieldSelector),
                ("limit", options.limit.map(String.init)), ("resourceVersion", options.resourceVersion),
            ]
            query.append(("continue", continueToken))
            let list = try decode(LenientList<T>.self, from: try await request("GET", T.resource.path(namespace: namespace), query: query))
            var items: [T] = []
            items.reserveCapacity(list.items?.count ?? 0)
            for item in list.items ?? [] {
                switch item.value {
                case .success(let object): items.append(object)
                case .failure(let undecodable): skipped(undecodable)
                }
            }
            try page(items)
            continueToken = list.metadata?.continue
            if continueToken?.isEmpty ?? true { return ListMeta(resourceVersion: list.metadata?.resourceVersion) }
        }
    }

    /// POST; `fieldManager` names who owns the fields it sets (an Update entry in managedFields).
    public func create<T: APIObject>(_ object: T, fieldManager: String? = nil) async throws -> T {
        try await decode(T.self, from: post(object, fieldManager: fieldManager))
    }

    /// `create` without reading the answer, as `applyFields`.
    public func createFields<T: APIObject>(_ object: T, fieldManager: String? = nil) async throws {
        _ = try await post(object, fieldManager: fieldManager)
    }

    private func post<T: APIObject>(_ object: T, fieldManager: String?) async throws -> Data {
        try await request("POST", T.resource.path(namespace: object.metadata.namespace), query: [("fieldManager", fieldManager)], body: encode(object))
    }

    /// PUT: fails with `.conflict` when `metadata.resourceVersion` is stale.
    public func update<T: APIObject>(_ object: T) async throws -> T {
        try await decode(T.self, from: request("PUT", T.resource.path(namespace: object.metadata.namespace, name: try name(of: object)), body: encode(object)))
    }

    public func updateStatus<T: APIObject>(_ object: T) async throws -> T {
        try await decode(T.self, from: request("PUT", T.resource.path(namespace: object.metadata.namespace, name: try name(of: object), subresource: "status"), body: encode(object)))
    }

    /// Deletes; with `uid`, only that incarnation of the object (409 otherwise).
    public func delete<T: APIObject>(_ type: T.Type = T.self, namespace: String?, name: String, uid: String? = nil) async throws {
        var body: Data?
        if let uid {
            body = Data(#"{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"\#(uid)"}}"#.utf8)
        }
        _ = try await request("DELETE", T.resource.path(namespace: namespace, name: name), body: body)
    }

    public func patch<T: APIObject>(_ type: T.Type = T.self, namespace: String?, name: String, _ patch: Patch, subresource: String? = nil) async throws -> T {
        try await decode(T.self, from: send(T.self, namespace: namespace, name: name, patch, subresource: subresource))
    }

    /// Server-side apply of the whole object (create or update), owned by `fieldManager`.
    public func apply<T: APIObject>(_ object: T, fieldManager: String, force: Bool = true) async throws -> T {
        try await patch(T.self, namespace: object.metadata.namespace, name: try name(of: object), .apply(try encode(object), fieldManager: fieldManager, force: force))
    }

    /// `apply` without reading the answer: for a writer that learns the result from its watch.
    /// (Decoding each answer, managedFields and all, was a tenth of the operator's CPU.)
    public func applyFields<T: APIObject>(_ object: T, fieldManager: String, force: Bool = true) async throws {
        _ = try await send(T.self, namespace: object.metadata.namespace, name: try name(of: object), .apply(try encode(object), fieldManager: fieldManager, force: force))
    }

    private func send<T: APIObject>(_ type: T.Type, namespace: String?, name: String, _ patch: Patch, subresource: String? = nil) async throws -> Data {
        var query: [(String, String?)] = []
        let body: Data
        switch patch {
        case .merge(let data, let fieldManager):
            body = data
            query = [("fieldManager", fieldManager)]
        case .json(let data): body = data
        case .apply(let data, let fieldManager, let force):
            body = data
            query = [("fieldManager", fieldManager), ("force", force ? "true" : nil)]
        }
        return try await request("PATCH", T.resource.path(namespace: namespace, name: name, subresource: subresource), query: query, body: body, contentType: patch.contentType)
    }

    /// The autoscaling/v1 Scale of a workload.
    public func scale<T: APIObject>(_ type: T.Type = T.self, namespace: String, name: String) async throws -> Scale {
        try await decode(Scale.self, from: request("GET", T.resource.path(namespace: namespace, name: name, subresource: "scale")))
    }

    /// Sets a workload's replicas through its scale subresource (what `kubectl scale` does): a
    /// merge patch of the Scale, so nothing else of the workload is written. With
    /// `resourceVersion` (the workload's, as read) the write is conditional: a workload changed
    /// since is not overwritten, the apiserver answers 409 (`KubeError.conflict`).
    @discardableResult
    public func setReplicas<T: APIObject>(
        _ type: T.Type = T.self, namespace: String, name: String, to replicas: Int32,
        resourceVersion: String? = nil
    ) async throws -> Scale {
        var scale: [String: JSONValue] = ["spec": .object(["replicas": .integer(Int64(replicas))])]
        if let resourceVersion { scale["metadata"] = .object(["resourceVersion": .string(resourceVersion)]) }
        let body = try encode(JSONValue.object(scale))
        return try await decode(Scale.self, from: send(T.self, namespace: namespace, name: name, .merge(body), subresource: "scale"))
    }

    /// Any request by path, as `kubectl get --raw` sends it: for resources without a type here
    /// (pods, endpoints, TokenRequests) and aggregated APIs. The 2xx body is returned; anything
    /// else is a `KubeError`.
    public func raw(
        _ method: String, _ path: String, query: [(String, String?)] = [], body: Data? = nil,
        contentType: String = "application/json"
    ) async throws -> Data {
        try await request(method, path, query: query, body: body, contentType: contentType)
    }

    // MARK: Plumbing

    func name<T: APIObject>(of object: T) throws -> String {
        guard let name = object.metadata.name, !name.isEmpty else { throw KubeError.decoding("\(T.resource.kind) has no metadata.name") }
        return name
    }

    func encode<T: Encodable>(_ value: T) throws -> Data {
        do { return try Self.encoder.encode(value) } catch { throw KubeError.decoding("cannot encode \(T.self): \(error)") }
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw KubeError.decoding("cannot read the apiserver's \(T.self): \(error)")
        }
    }

    /// Sends a request; 2xx bodies are returned, anything else becomes a `KubeError`. A 401 with an
    /// exec plugin refreshes the credential and tries once more.
    func request(
        _ method: String, _ path: String, query: [(String, String?)] = [], body: Data? = nil,
        contentType: String = "application/json", timeout: Duration? = .seconds(60)
    ) async throws -> Data {
        let request = try await httpRequest(method, path, query: query, body: body, contentType: contentType, timeout: timeout)
        var response = try await send { try await $0.send(request) }
        if response.status == 401, let plugin {
            plugin.invalidate()
            let retry = try await httpRequest(method, path, query: query, body: body, contentType: contentType, timeout: timeout)
            response = try await send { try await $0.send(retry) }
        }
        guard (200..<300).contains(response.status) else {
            throw KubeError(code: response.status, body: response.body, retryAfter: response.header("Retry-After"))
        }
        return response.body
    }

    /// Opens a streamed request (watches); non-2xx answers are read whole and thrown as `KubeError`.
    func stream(_ path: String, query: [(String, String?)], timeout: Duration? = nil) async throws -> HTTPStreamResponse {
        let request = try await httpRequest("GET", path, query: query, body: nil, contentType: "application/json", timeout: timeout)
        let response = try await send { try await $0.stream(request) }
        guard (200..<300).contains(response.status) else {
            let body = (try? await response.collect()) ?? Data()
            throw KubeError(code: response.status, body: body, retryAfter: response.header("Retry-After"))
        }
        return response
    }

    private func send<R>(_ operation: (HTTPClient) async throws -> R) async throws -> R {
        let client = transport.withLock { $0.client }
        do {
            return try await operation(client)
        } catch let error as HTTPError {
            throw KubeError.transport(error)
        }
    }

    private func httpRequest(
        _ method: String, _ path: String, query: [(String, String?)], body: Data?, contentType: String, timeout: Duration?
    ) async throws -> HTTPRequest {
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", contentType)) }
        if let plugin {
            let credential: ExecCredentialPlugin.Credential
            do { credential = try await plugin.credential() } catch { throw KubeError.transport(.credentials(error.description)) }
            if let token = credential.token { headers.append(("Authorization", "Bearer \(token)")) }
            if let certificate = credential.clientCertificatePEM, let key = credential.clientKeyPEM {
                useClientCertificate(certificate, key: key)
            }
        }
        return HTTPRequest(method: method, url: config.server + path + QueryString.encode(query), headers: headers, body: body, timeout: timeout)
    }

    private func useClientCertificate(_ certificate: String, key: String) {
        transport.withLock { current in
            guard current.certificate != certificate else { return }
            var tls = config.tls
            tls.clientCertificate = .pem(Data(certificate.utf8))
            tls.clientKey = .pem(Data(key.utf8))
            current = (
                certificate,
                HTTPClient(
                    configuration: HTTPClientConfiguration(
                        tls: tls, proxy: config.proxy, userAgent: config.userAgent,
                        maximumResponseSize: config.maximumResponseSize))
            )
        }
    }
}

/// `?a=b&c=d` with values percent-encoded for any selector text; nil values are left out.
enum QueryString {
    static let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    static func encode(_ items: [(String, String?)]) -> String {
        let pairs = items.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0)" }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}
