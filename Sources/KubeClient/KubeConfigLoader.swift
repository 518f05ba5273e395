import DecodingErrorText
import Foundation
import HTTPTransport
import Yams

/// Finds and resolves the client configuration as kubectl does: `--kubeconfig`, else every file in
/// `$KUBECONFIG` (merged: the first file to define a name wins, and the first current-context),
/// else `~/.kube/config`, else the pod's service account.
public enum KubeConfigLoader {
    public static func load(
        kubeconfig: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = InClusterConfig.serviceAccountDirectory
    ) throws(KubeConfigError) -> ClientConfig {
        if let kubeconfig {
            return try resolve(files: [kubeconfig], context: context, requireAll: true)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let files = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            return try resolve(files: files, context: context, requireAll: false)
        }
        if let home = environment["HOME"], FileManager.default.fileExists(atPath: "\(home)/.kube/config") {
            return try resolve(files: ["\(home)/.kube/config"], context: context, requireAll: true)
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try InClusterConfig.load(environment: environment, directory: serviceAccountDirectory)
        }
        throw KubeConfigError("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod")
    }

    /// Merges the files and resolves one context. Missing files in a KUBECONFIG list are skipped, as kubectl does.
    public static func resolve(files: [String], context override: String? = nil, requireAll: Bool = true) throws(KubeConfigError) -> ClientConfig {
        var merged = Merged()
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else {
                if requireAll || FileManager.default.fileExists(atPath: path) { throw KubeConfigError("kubeconfig \(path): cannot be read") }
                continue
            }
            let file: KubeConfigFile
            do {
                let text = String(decoding: data, as: UTF8.self)
                if let node = try Yams.compose(yaml: text) {
                    try YAMLExpansion.check(node, limit: YAMLExpansion.limit(forBytes: data.count))
                    file = try YAMLDecoder().decode(KubeConfigFile.self, from: node)
                } else {
                    file = try YAMLDecoder().decode(KubeConfigFile.self, from: text)
                }
            } catch let error as YAMLExpansion.TooLarge {
                throw KubeConfigError("kubeconfig \(path)\(error.line.map { ":\($0)" } ?? ""): \(error)")
            } catch let error as YamlError {
                throw KubeConfigError("kubeconfig \(path): \(YAMLErrorText.describe(error))")
            } catch {
                throw KubeConfigError("kubeconfig \(path): \(DecodingErrorText.describe(error))")
            }
            merged.add(file, from: path)
        }
        guard !merged.files.isEmpty else { throw KubeConfigError("kubeconfig: none of \(files.joined(separator: ", ")) exists") }
        return try merged.resolve(context: override)
    }
}

/// Several kubeconfig files merged, each entry remembering its file (relative paths are relative to it).
private struct Merged {
    var files: [String] = []
    var clusters: [String: (KubeConfigFile.Cluster, file: String)] = [:]
    var users: [String: (KubeConfigFile.User, file: String)] = [:]
    var contexts: [String: (KubeConfigFile.Context, file: String)] = [:]
    var currentContext: (name: String, file: String)?

    mutating func add(_ config: KubeConfigFile, from file: String) {
        files.append(file)
        for entry in config.clusters ?? [] where clusters[entry.name] == nil { clusters[entry.name] = (entry.cluster, file) }
        for entry in config.users ?? [] where users[entry.name] == nil { users[entry.name] = (entry.user, file) }
        for entry in config.contexts ?? [] where contexts[entry.name] == nil { contexts[entry.name] = (entry.context, file) }
        if currentContext == nil, let name = config.currentContext, !name.isEmpty { currentContext = (name, file) }
    }

    var where_: String { "kubeconfig \(files.joined(separator: ":"))" }

    func resolve(context override: String?) throws(KubeConfigError) -> ClientConfig {
        let known = contexts.keys.sorted().joined(separator: ", ")
        guard let name = override ?? currentContext?.name else {
            throw KubeConfigError("\(where_): current-context is not set; pass --context (contexts: \(known.isEmpty ? "none" : known))")
        }
        guard let (context, contextFile) = contexts[name] else {
            throw KubeConfigError("\(where_): context '\(name)' not found (contexts: \(known.isEmpty ? "none" : known))")
        }
        guard let (cluster, clusterFile) = contexts[name].flatMap({ clusters[$0.0.cluster] }) else {
            throw KubeConfigError("kubeconfig \(contextFile): context '\(name)': cluster '\(context.cluster)' not found")
        }
        let clusterWhere = "kubeconfig \(clusterFile): context '\(name)': cluster '\(context.cluster)'"
        guard let server = cluster.server, !server.isEmpty else { throw KubeConfigError("\(clusterWhere): server is required") }
        guard let url = URLComponents(string: server), let scheme = url.scheme, ["https", "http"].contains(scheme), url.host != nil else {
            throw KubeConfigError("\(clusterWhere): server '\(server)' is not an http(s) URL")
        }
        var tls = TLSOptions(insecureSkipVerify: cluster.insecureSkipTLSVerify ?? false)
        tls.certificateAuthority = try source(
            data: cluster.certificateAuthorityData, file: cluster.certificateAuthority,
            field: "certificate-authority", relativeTo: clusterFile, where: clusterWhere)

        var authentication = ClientConfig.Authentication.none
        if let userName = context.user, !userName.isEmpty {
            guard let (user, userFile) = users[userName] else {
                throw KubeConfigError("kubeconfig \(contextFile): context '\(name)': user '\(userName)' not found")
            }
            let userWhere = "kubeconfig \(userFile): context '\(name)': user '\(userName)'"
            if let provider = user.authProvider {
                throw KubeConfigError("\(userWhere): auth-provider '\(provider.name)' is not supported; use an exec credential plugin")
            }
            tls.clientCertificate = try source(
                data: user.clientCertificateData, file: user.clientCertificate,
                field: "client-certificate", relativeTo: userFile, where: userWhere)
            tls.clientKey = try source(data: user.clientKeyData, file: user.clientKey, field: "client-key", relativeTo: userFile, where: userWhere)
            if (tls.clientCertificate == nil) != (tls.clientKey == nil) {
                throw KubeConfigError("\(userWhere): client-certificate and client-key must be given together")
            }
            if let token = user.token, !token.isEmpty {
                authentication = .bearer(.value(token))
            } else if let tokenFile = user.tokenFile, !tokenFile.isEmpty {
                let path = absolute(tokenFile, relativeTo: userFile)
                guard FileManager.default.isReadableFile(atPath: path) else { throw KubeConfigError("\(userWhere): tokenFile \(path) cannot be read") }
                authentication = .bearer(.file(path))
            } else if let exec = user.exec {
                if let version = exec.apiVersion, !ExecCredentialPlugin.supportedVersions.contains(version) {
                    throw KubeConfigError("\(userWhere): exec apiVersion '\(version)' is not supported (use client.authentication.k8s.io/v1 or v1beta1)")
                }
                if exec.interactiveMode == "Always" {
                    throw KubeConfigError("\(userWhere): exec interactiveMode Always needs a terminal; the operator runs without one")
                }
                authentication = .exec(exec, directory: (userFile as NSString).deletingLastPathComponent)
            }
        }
        return ClientConfig(
            server: server, tls: tls, authentication: authentication, proxy: cluster.proxyURL,
            namespace: context.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            origin: "\(where_) (context \(name))")
    }

    private func source(data: String?, file: String?, field: String, relativeTo base: String, where place: String) throws(KubeConfigError) -> TLSOptions.Source? {
        if let data, !data.isEmpty {
            guard let decoded = Data(base64Encoded: data.filter { !$0.isWhitespace }) else {
                throw KubeConfigError("\(place): \(field)-data is not valid base64")
            }
            return .pem(decoded)
        }
        guard let file, !file.isEmpty else { return nil }
        let path = absolute(file, relativeTo: base)
        guard FileManager.default.isReadableFile(atPath: path) else { throw KubeConfigError("\(place): \(field) \(path) cannot be read") }
        return .file(path)
    }

    private func absolute(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + path.dropFirst(1) }
        return ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(path)
    }
}

/// In-cluster configuration from the pod's environment and service account.
public enum InClusterConfig {
    public static let serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public static func load(environment: [String: String], directory: String = serviceAccountDirectory) throws(KubeConfigError) -> ClientConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty, let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty else {
            throw KubeConfigError("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set")
        }
        let token = "\(directory)/token"
        guard FileManager.default.isReadableFile(atPath: token) else { throw KubeConfigError("in-cluster: service account token \(token) cannot be read") }
        let ca = "\(directory)/ca.crt"
        let namespace = (try? String(contentsOfFile: "\(directory)/namespace", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var config = ClientConfig(
            server: "https://\(hostPart):\(port)",
            tls: TLSOptions(certificateAuthority: FileManager.default.fileExists(atPath: ca) ? .file(ca) : nil),
            authentication: .bearer(.file(token)),
            namespace: namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            origin: "in-cluster")
        config.podNamespace = config.namespace
        return config
    }
}
