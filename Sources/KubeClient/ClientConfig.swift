import Foundation
import HTTPTransport

/// How to reach and authenticate to an apiserver, resolved from a kubeconfig or the pod's
/// service account.
public struct ClientConfig: Sendable {
    public enum Authentication: Sendable {
        case none
        /// A token, or a token file re-read as it rotates.
        case bearer(BearerToken)
        /// A credential plugin; its result is cached until it expires.
        case exec(ExecConfig, directory: String)
    }

    /// `https://host:port` without a trailing slash.
    public var server: String
    public var tls: TLSOptions
    public var authentication: Authentication
    public var proxy: String?
    /// The namespace of the context (or the pod), `default` when none is set.
    public var namespace: String
    /// Where this came from, for logs and errors: `kubeconfig /x (context y)`, `in-cluster`.
    public var origin: String
    /// The pod's own namespace, when this is the pod's service account (in-cluster); nil otherwise.
    public var podNamespace: String?
    /// How requests introduce themselves (the apiserver's audit log shows it).
    public var userAgent = "hpa-operator"
    /// The largest answer read from the apiserver: one list page, or one watch event's line.
    public var maximumResponseSize = ClientConfig.defaultMaximumResponseSize

    /// 128 MiB: a list page (of 100 objects) or one watch event (an object is at most 1.5 MB in
    /// etcd) is far smaller.
    public static let defaultMaximumResponseSize = 128 << 20

    public init(server: String, tls: TLSOptions = TLSOptions(), authentication: Authentication = .none, proxy: String? = nil, namespace: String = "default", origin: String = "explicit") {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.authentication = authentication
        self.proxy = proxy
        self.namespace = namespace
        self.origin = origin
    }
}

/// A configuration that cannot be used, naming the file, context and field.
public struct KubeConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
