import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import TestSupport
import Testing

/// A mutual-TLS apiserver double, its CA, and a client certificate it accepts.
struct SecureCluster {
    let ca: TestCertificateAuthority
    let user: TestCertificateAuthority.Issued
    let server: FakeAPIServer
    let directory: URL

    static func start() async throws -> SecureCluster {
        let ca = try TestCertificateAuthority()
        let serving = try ca.issueServer()
        let server = try await FakeAPIServer.start(
            FakeAPIServer.Options(
                security: .mutualTLS(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM, clientCAPEM: try ca.certificatePEM)))
        return SecureCluster(ca: ca, user: try ca.issueClient(commonName: "hpa-operator"), server: server, directory: try scratchDirectory())
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A kubeconfig with the given user block (indented under `user:`).
    func kubeconfig(user: String, cluster: String? = nil, name: String = "config") throws -> String {
        let clusterBlock = try cluster ?? "certificate-authority-data: \(base64(try ca.certificatePEM))"
        return try write(
            name,
            """
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: fake
              cluster:
                server: \(server.url)
                \(clusterBlock)
            users:
            - name: operator
              user:
            \(user.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            contexts:
            - name: test
              context:
                cluster: fake
                user: operator
                namespace: autoscaling
            """)
    }
}

@Suite("Kubeconfig and in-cluster configuration")
struct KubeConfigTests {
    func reachable(_ config: ClientConfig) async throws -> Bool {
        let client = KubeClient(config: config)
        return try await client.list(Deployment.self).items.isEmpty
    }

    @Test func certificateDataAndFiles() async throws {
        let cluster = try await SecureCluster.start()
        defer { Task { await cluster.server.stop() } }
        let inline = try cluster.kubeconfig(user: "client-certificate-data: \(cluster.base64(cluster.user.certificatePEM))\nclient-key-data: \(cluster.base64(cluster.user.keyPEM))")
        let config = try KubeConfigLoader.load(kubeconfig: inline)
        #expect(config.namespace == "autoscaling")
        #expect(config.server == cluster.server.url)
        #expect(try await reachable(config))

        // Relative file paths are resolved against the kubeconfig's directory.
        _ = try cluster.write("pki/ca.crt", try cluster.ca.certificatePEM)
        _ = try cluster.write("pki/user.crt", cluster.user.certificatePEM)
        _ = try cluster.write("pki/user.key", cluster.user.keyPEM)
        let files = try cluster.kubeconfig(user: "client-certificate: pki/user.crt\nclient-key: pki/user.key", cluster: "certificate-authority: pki/ca.crt", name: "files-config")
        #expect(try await reachable(try KubeConfigLoader.load(kubeconfig: files)))
    }

    @Test func wrongClientCertificateIsAClearError() async throws {
        let cluster = try await SecureCluster.start()
        defer { Task { await cluster.server.stop() } }
        let stranger = try TestCertificateAuthority(commonName: "other CA").issueClient(commonName: "stranger")
        let path = try cluster.kubeconfig(user: "client-certificate-data: \(cluster.base64(stranger.certificatePEM))\nclient-key-data: \(cluster.base64(stranger.keyPEM))")
        await #expect { try await reachable(try KubeConfigLoader.load(kubeconfig: path)) } throws: { error in
            guard case KubeError.transport(.tls(let host, let reason)) = error else { return false }
            return host == "127.0.0.1" && !reason.isEmpty
        }
        // Without the CA the server is not trusted.
        let untrusted = try cluster.kubeconfig(
            user: "client-certificate-data: \(cluster.base64(cluster.user.certificatePEM))\nclient-key-data: \(cluster.base64(cluster.user.keyPEM))", cluster: "", name: "untrusted")
        await #expect { try await reachable(try KubeConfigLoader.load(kubeconfig: untrusted)) } throws: { error in
            guard case KubeError.transport(.tlsVerificationFailed) = error else { return false }
            return true
        }
        let skip = try cluster.kubeconfig(
            user: "client-certificate-data: \(cluster.base64(cluster.user.certificatePEM))\nclient-key-data: \(cluster.base64(cluster.user.keyPEM))", cluster: "insecure-skip-tls-verify: true",
            name: "skip")
        #expect(try await reachable(try KubeConfigLoader.load(kubeconfig: skip)))
    }

    @Test func tokensAndTokenFiles() throws {
        let directory = try scratchDirectory()
        func load(_ user: String) throws -> ClientConfig {
            let path = directory.appendingPathComponent("config-\(UUID().uuidString)").path
            try Data(
                """
                clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]
                users: [{name: u, user: \(user)}]
                contexts: [{name: x, context: {cluster: c, user: u}}]
                current-context: x
                """.utf8
            ).write(to: URL(fileURLWithPath: path))
            return try KubeConfigLoader.load(kubeconfig: path)
        }
        guard case .bearer(.value("s3cr3t")) = try load("{token: s3cr3t}").authentication else {
            Issue.record("token")
            return
        }
        try Data("rotating".utf8).write(to: directory.appendingPathComponent("token"))
        guard case .bearer(.file(let path)) = try load("{tokenFile: token}").authentication else {
            Issue.record("tokenFile")
            return
        }
        #expect(path == directory.appendingPathComponent("token").path)
        #expect(try load("{}").namespace == "default")
    }

    @Test func execPluginCredentialsAreCachedUntilTheyExpire() async throws {
        let directory = try scratchDirectory()
        let counter = directory.appendingPathComponent("calls").path
        let expiry = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
        let script = directory.appendingPathComponent("get-token").path
        try Data(
            """
            #!/bin/sh
            echo call >> \(counter)
            [ "$KUBERNETES_EXEC_INFO" = "" ] && exit 3
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' "$TOKEN_PREFIX-$1" "$EXPIRY"
            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let server = try await TestHTTPServer.start { request, _ in
            .init(
                status: request.headers[.authorization] == "Bearer tok-arg1" ? .ok : .unauthorized,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: .init(string: #"{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{"resourceVersion":"1"},"items":[]}"#)))
        }
        defer { Task { await server.stop() } }
        let config = directory.appendingPathComponent("config").path
        try Data(
            """
            clusters: [{name: c, cluster: {server: "\(server.url)"}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./get-token
                  args: [arg1]
                  env: [{name: TOKEN_PREFIX, value: tok}, {name: EXPIRY, value: "\(expiry)"}]
                  interactiveMode: Never
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        let client = KubeClient(config: try KubeConfigLoader.load(kubeconfig: config))
        for _ in 0..<3 { _ = try await client.list(Deployment.self) }
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 1)

        // An expired credential is fetched again.
        let expired = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-60))
        try Data(try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: expiry, with: expired).utf8).write(to: URL(fileURLWithPath: config))
        let shortLived = KubeClient(config: try KubeConfigLoader.load(kubeconfig: config))
        for _ in 0..<2 { _ = try await shortLived.list(Deployment.self) }
        #expect(try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").count == 3)
    }

    @Test func execPluginFailuresAreReported() async throws {
        let directory = try scratchDirectory()
        let config = directory.appendingPathComponent("config").path
        try Data(
            """
            clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
            users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: no-such-plugin-xyz, installHint: "install it with: apt install xyz"}}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        let client = KubeClient(config: try KubeConfigLoader.load(kubeconfig: config))
        await #expect { try await client.list(Deployment.self) } throws: { error in
            guard case KubeError.transport(.credentials(let message)) = error else { return false }
            return message.contains("no-such-plugin-xyz") && message.contains("command not found: install it with: apt install xyz")
        }
    }

    @Test func kubeconfigListsMergeAsKubectlDoes() throws {
        let directory = try scratchDirectory()
        let first = directory.appendingPathComponent("a").path
        let second = directory.appendingPathComponent("b").path
        try Data(
            """
            clusters: [{name: shared, cluster: {server: "https://first:6443"}}]
            contexts: [{name: one, context: {cluster: shared, namespace: first-ns}}]
            """.utf8
        ).write(to: URL(fileURLWithPath: first))
        try Data(
            """
            current-context: two
            clusters: [{name: shared, cluster: {server: "https://second:6443"}}, {name: other, cluster: {server: "https://other:6443"}}]
            contexts: [{name: two, context: {cluster: other}}, {name: one, context: {cluster: other}}]
            """.utf8
        ).write(to: URL(fileURLWithPath: second))
        let environment = ["KUBECONFIG": "\(first):\(directory.path)/missing:\(second)"]
        let two = try KubeConfigLoader.load(environment: environment)
        #expect(two.server == "https://other:6443")
        let one = try KubeConfigLoader.load(context: "one", environment: environment)
        #expect(one.server == "https://first:6443" && one.namespace == "first-ns")
    }

    @Test(arguments: [
        ("current-context: nope\nclusters: []\ncontexts: [{name: a, context: {cluster: c}}]", "context 'nope' not found (contexts: a)"),
        ("clusters: []\ncontexts: [{name: a, context: {cluster: c}}]", "current-context is not set; pass --context (contexts: a)"),
        ("current-context: a\ncontexts: [{name: a, context: {cluster: missing}}]", "context 'a': cluster 'missing' not found"),
        ("current-context: a\nclusters: [{name: c, cluster: {}}]\ncontexts: [{name: a, context: {cluster: c}}]", "context 'a': cluster 'c': server is required"),
        ("current-context: a\nclusters: [{name: c, cluster: {server: \"ftp://x\"}}]\ncontexts: [{name: a, context: {cluster: c}}]", "context 'a': cluster 'c': server 'ftp://x' is not an http(s) URL"),
        (
            "current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\", certificate-authority-data: \"%%%\"}}]\ncontexts: [{name: a, context: {cluster: c}}]",
            "context 'a': cluster 'c': certificate-authority-data is not valid base64"
        ),
        (
            "current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\", certificate-authority: /no/such/ca.crt}}]\ncontexts: [{name: a, context: {cluster: c}}]",
            "context 'a': cluster 'c': certificate-authority /no/such/ca.crt cannot be read"
        ),
        ("current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\"}}]\ncontexts: [{name: a, context: {cluster: c, user: ghost}}]", "context 'a': user 'ghost' not found"),
        (
            "current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\"}}]\nusers: [{name: u, user: {client-certificate-data: \"YQ==\"}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]",
            "context 'a': user 'u': client-certificate and client-key must be given together"
        ),
        (
            "current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\"}}]\nusers: [{name: u, user: {auth-provider: {name: gcp}}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]",
            "context 'a': user 'u': auth-provider 'gcp' is not supported; use an exec credential plugin"
        ),
        (
            "current-context: a\nclusters: [{name: c, cluster: {server: \"https://x\"}}]\nusers: [{name: u, user: {exec: {command: x, interactiveMode: Always}}}]\ncontexts: [{name: a, context: {cluster: c, user: u}}]",
            "context 'a': user 'u': exec interactiveMode Always needs a terminal; the operator runs without one"
        ),
        ("clusters: [{name: c, cluster: {server: https://x}]]", "line 1, column "),
        ("clusters: [{cluster: {server: https://x}}]", "clusters[0].name: required field is missing"),
    ])
    func brokenKubeconfigsNameTheFileContextAndField(text: String, message: String) throws {
        let path = try scratchDirectory().appendingPathComponent("config").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        #expect { try KubeConfigLoader.load(kubeconfig: path) } throws: { error in
            let description = "\(error)"
            let ok = description.hasPrefix("kubeconfig \(path)") && description.contains(message)
            if !ok { print("got: \(description)") }
            return ok
        }
    }

    /// A kubeconfig whose aliases expand past the budget is refused, naming the file.
    @Test func anAliasBombInAKubeconfigIsRefused() throws {
        var text = "clusters: &a [{name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}, {name: x}]\n"
        for (level, name) in "bcdefghij".enumerated() {
            text += "\(name): &\(name) [" + Array(repeating: "*\(Array("abcdefghij")[level])", count: 9).joined(separator: ", ") + "]\n"
        }
        let path = try scratchDirectory().appendingPathComponent("config").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try KubeConfigLoader.load(kubeconfig: path)
            Issue.record("read")
        } catch {
            #expect(error.message.hasPrefix("kubeconfig \(path):"), "\(error)")
            #expect(error.message.contains("its YAML aliases expand it past"), "\(error)")
        }
    }

    @Test func missingFilesAndNoConfiguration() {
        #expect(throws: KubeConfigError("kubeconfig /no/such/config: cannot be read")) { try KubeConfigLoader.load(kubeconfig: "/no/such/config") }
        #expect(throws: KubeConfigError("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod")) {
            try KubeConfigLoader.load(environment: ["HOME": "/nonexistent"])
        }
    }

    @Test func inClusterServiceAccount() throws {
        let directory = try scratchDirectory()
        try Data("token-1".utf8).write(to: directory.appendingPathComponent("token"))
        try Data("-----BEGIN CERTIFICATE-----\n".utf8).write(to: directory.appendingPathComponent("ca.crt"))
        try Data("hpa-operator-system\n".utf8).write(to: directory.appendingPathComponent("namespace"))
        let config = try KubeConfigLoader.load(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOME": "/nonexistent"], serviceAccountDirectory: directory.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "hpa-operator-system")
        #expect(config.origin == "in-cluster" && config.podNamespace == "hpa-operator-system")
        guard case .bearer(.file(let token)) = config.authentication else {
            Issue.record("token file")
            return
        }
        #expect(token == directory.appendingPathComponent("token").path)
        let ipv6 = try InClusterConfig.load(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"], directory: directory.path)
        #expect(ipv6.server == "https://[fd00::1]:443")
        #expect(throws: KubeConfigError.self) { try InClusterConfig.load(environment: [:], directory: directory.path) }
    }
}
