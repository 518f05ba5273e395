/// Kubernetes' requestheader authentication, the way an aggregated API server trusts the
/// kube-aggregator: a client certificate verified against the requestheader CA whose common name
/// is allowed makes the `X-Remote-*` headers the caller's identity. Pure: the TLS layer verifies
/// the chain and hands over the common name.
public struct RequestHeaderAuthentication: Sendable, Hashable {
    /// Allowed common names; empty allows any certificate the CA signed (Kubernetes' rule).
    public var allowedNames: [String]
    public var usernameHeaders = ["X-Remote-User"]
    public var groupHeaders = ["X-Remote-Group"]
    public var extraHeaderPrefixes = ["X-Remote-Extra-"]

    public init(allowedNames: [String]) {
        self.allowedNames = allowedNames
    }

    public struct User: Sendable, Hashable {
        public var name: String
        public var groups: [String]
        public var extra: [String: [String]]
    }

    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case noClientCertificate
        case commonNameNotAllowed(String)
        case noUsername

        public var description: String {
            switch self {
            case .noClientCertificate:
                return "Unauthorized: no client certificate signed by the requestheader client CA; remote user headers are only trusted from the kube-aggregator"
            case .commonNameNotAllowed(let name):
                return "Unauthorized: client certificate common name '\(name)' is not in --requestheader-allowed-names"
            case .noUsername:
                return "Unauthorized: the request carries no X-Remote-User header"
            }
        }
    }

    /// The caller, from the verified certificate's common name (nil: no certificate) and the headers.
    public func authenticate(commonName: String?, headers: [(name: String, value: String)]) -> Result<User, Refusal> {
        guard let commonName else { return .failure(.noClientCertificate) }
        guard allowedNames.isEmpty || allowedNames.contains(commonName) else { return .failure(.commonNameNotAllowed(commonName)) }
        func values(_ names: [String]) -> [String] {
            headers.filter { header in names.contains { $0.caseInsensitiveCompare(header.name) == .orderedSame } }.map(\.value)
        }
        guard let name = values(usernameHeaders).first(where: { !$0.isEmpty }) else { return .failure(.noUsername) }
        var extra: [String: [String]] = [:]
        for header in headers {
            guard let prefix = extraHeaderPrefixes.first(where: { header.name.lowercased().hasPrefix($0.lowercased()) }) else { continue }
            let key = String(header.name.dropFirst(prefix.count)).lowercased()
            extra[key.removingPercentEncoding ?? key, default: []].append(header.value)
        }
        return .success(User(name: name, groups: values(groupHeaders), extra: extra))
    }
}
