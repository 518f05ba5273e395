/// The kubeconfig file format (clientcmd v1), as far as we use it.
struct KubeConfigFile: Decodable {
    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }

    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster
    }

    struct NamedUser: Decodable {
        var name: String
        var user: User
    }

    struct NamedContext: Decodable {
        var name: String
        var context: Context
    }

    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var proxyURL: String?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case proxyURL = "proxy-url"
        }
    }

    struct User: Decodable {
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var token: String?
        var tokenFile: String?
        var exec: ExecConfig?
        var authProvider: AuthProvider?

        enum CodingKeys: String, CodingKey {
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case token, tokenFile, exec
            case authProvider = "auth-provider"
        }
    }

    struct AuthProvider: Decodable {
        var name: String
    }

    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }
}

/// An exec credential plugin (client.authentication.k8s.io v1 / v1beta1).
public struct ExecConfig: Decodable, Sendable, Hashable {
    public struct EnvVar: Decodable, Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public var apiVersion: String?
    public var command: String
    public var args: [String]?
    public var env: [EnvVar]?
    public var interactiveMode: String?
    public var installHint: String?
}
