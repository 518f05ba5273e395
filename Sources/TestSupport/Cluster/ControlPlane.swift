import Certificates
import Foundation
import HTTPTransport
import KubeClient
import Synchronization

/// A real Kubernetes control plane for tests: Debian's etcd, kube-apiserver with the aggregator
/// configured (requestheader CA, proxy client certificate, aggregator routing to Endpoints), token
/// authentication, RBAC and an audit log of HPA writes, and kube-controller-manager running the
/// deployment, replicaset, statefulset, HPA, garbage-collector and serviceaccount controllers.
/// The apiserver listens on the host side of a network namespace (`network`), where the product
/// runs, because Endpoints may not be loopback addresses. There is no kubelet and no scheduler:
/// pods stay Pending unless `KubeletStandIn` marks them ready.
public final class ControlPlane: Sendable {
    public struct Options: Sendable {
        /// Run kube-controller-manager (benchmarks that only write objects do without it).
        public var controllers: Bool = true
        public var hpaSyncPeriod: String = "2s"
        /// Extra admission plugins (`OwnerReferencesPermissionEnforcement`).
        public var admissionPlugins: [String] = []
        public init() {}
    }

    public let directory: URL
    public let reaper: Reaper
    public let network: NetworkNamespace
    /// `https://<host address>:<port>`.
    public let server: String
    public let caPEM: String
    public let adminToken: String
    /// A user the apiserver knows (`nobody`) but RBAC grants nothing.
    public let unprivilegedToken: String
    /// system:masters, through a token.
    public let admin: KubeClient
    /// A kubeconfig for `admin`, for kubectl.
    public let adminKubeconfig: URL
    /// The front-proxy CA the aggregator's client certificate chains to.
    public let requestheaderCA: TestCertificateAuthority
    private let processes: Mutex<[String: ChildProcess]>
    private let apiserverArguments: [String]
    private let apiserverBinary: String

    public static func start(options: Options = Options()) async throws -> ControlPlane {
        let binaries = try await ClusterBinaries.folder()
        let etcdBinary = try Tool.path("etcd", hint: "Debian package etcd-server")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpa-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let reaper = try Reaper(directory: directory)
        let network: NetworkNamespace
        do { network = try await NetworkNamespace.create(reaper: reaper) } catch {
            reaper.dismiss()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        func file(_ name: String, _ text: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return url.path
        }
        // Certificates: the cluster CA signs the apiserver's serving certificate; the front-proxy
        // CA signs the aggregator's client certificate.
        let clusterCA = try TestCertificateAuthority(commonName: "e2e cluster CA")
        let serving = try clusterCA.issueServer(dnsNames: [network.hostAddress, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "10.96.0.1"])
        let requestheaderCA = try TestCertificateAuthority(commonName: "e2e front-proxy CA")
        let proxyClient = try requestheaderCA.issueClient(commonName: "front-proxy-client")
        let adminToken = "admin-\(UUID().uuidString)"
        let unprivilegedToken = "nobody-\(UUID().uuidString)"
        let signingKey = try PrivateKey()
        let serviceAccountKey = try file("sa.key", try signingKey.pem)
        let serviceAccountPublicKey = try file("sa.pub", try signingKey.publicKeyPEM)
        let etcdPort = try freePort()
        let etcdPeerPort = try freePort()
        let port = try freePort(on: network.hostAddress)
        let plane = ControlPlane(
            directory: directory, reaper: reaper, network: network, server: "https://\(network.hostAddress):\(port)", caPEM: try clusterCA.certificatePEM,
            adminToken: adminToken, unprivilegedToken: unprivilegedToken, requestheaderCA: requestheaderCA,
            apiserverBinary: binaries.appendingPathComponent("kube-apiserver").path,
            apiserverArguments: [
                "--etcd-servers=http://127.0.0.1:\(etcdPort)",
                "--bind-address=\(network.hostAddress)", "--advertise-address=\(network.hostAddress)", "--secure-port=\(port)",
                "--tls-cert-file=\(try file("apiserver.crt", serving.certificatePEM))", "--tls-private-key-file=\(try file("apiserver.key", serving.keyPEM))",
                "--cert-dir=\(directory.appendingPathComponent("certs").path)",
                "--service-account-key-file=\(serviceAccountPublicKey)", "--service-account-signing-key-file=\(serviceAccountKey)",
                "--service-account-issuer=https://kubernetes.default.svc", "--service-cluster-ip-range=10.96.0.0/16",
                "--authorization-mode=Node,RBAC",
                "--token-auth-file=\(try file("tokens.csv", "\(adminToken),admin,admin,\"system:masters\"\n\(unprivilegedToken),nobody,nobody\n"))",
                "--requestheader-client-ca-file=\(try file("front-proxy-ca.crt", try requestheaderCA.certificatePEM))",
                "--requestheader-allowed-names=front-proxy-client",
                "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                "--proxy-client-cert-file=\(try file("front-proxy-client.crt", proxyClient.certificatePEM))",
                "--proxy-client-key-file=\(try file("front-proxy-client.key", proxyClient.keyPEM))",
                "--enable-aggregator-routing=true",
                "--audit-policy-file=\(try file("audit-policy.yaml", Self.auditPolicy))",
                "--audit-log-path=\(directory.appendingPathComponent("audit.log").path)", "--audit-log-mode=blocking",
            ] + (options.admissionPlugins.isEmpty ? [] : ["--enable-admission-plugins=\(options.admissionPlugins.joined(separator: ","))"]))
        do {
            plane.add(
                try ChildProcess(
                    name: "etcd", executable: etcdBinary,
                    arguments: [
                        "--data-dir", directory.appendingPathComponent("etcd").path, "--listen-client-urls", "http://127.0.0.1:\(etcdPort)",
                        "--advertise-client-urls", "http://127.0.0.1:\(etcdPort)", "--listen-peer-urls", "http://127.0.0.1:\(etcdPeerPort)",
                        "--log-level", "warn",
                    ],
                    logFile: directory.appendingPathComponent("etcd.log"), reaper: reaper))
            try await plane.startAPIServer()
            if options.controllers && ClusterBinaries.hasControllerManager {
                let kubeconfig = try plane.writeKubeconfig(token: adminToken, name: "controller-manager.kubeconfig")
                plane.add(
                    try ChildProcess(
                        name: "kube-controller-manager", executable: binaries.appendingPathComponent("kube-controller-manager").path,
                        arguments: [
                            "--kubeconfig=\(kubeconfig.path)",
                            "--controllers=deployment,replicaset,statefulset,horizontalpodautoscaling,garbagecollector,serviceaccount",
                            // Each controller with its own ServiceAccount, so the HPA controller reads
                            // our metrics as system:serviceaccount:kube-system:horizontal-pod-autoscaler.
                            "--use-service-account-credentials=true",
                            "--horizontal-pod-autoscaler-sync-period=\(options.hpaSyncPeriod)",
                            "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=\(try freePort())",
                        ],
                        logFile: directory.appendingPathComponent("kube-controller-manager.log"), reaper: reaper))
            }
        } catch {
            await plane.stop()
            throw error
        }
        return plane
    }

    /// HPA writes (not status updates) by anyone, at Metadata level.
    static let auditPolicy = """
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
          - level: Metadata
            verbs: [create, update, patch, delete]
            resources:
              - group: autoscaling
                resources: [horizontalpodautoscalers]
          - level: None

        """

    private init(
        directory: URL, reaper: Reaper, network: NetworkNamespace, server: String, caPEM: String, adminToken: String, unprivilegedToken: String,
        requestheaderCA: TestCertificateAuthority, apiserverBinary: String, apiserverArguments: [String]
    ) {
        self.directory = directory
        self.reaper = reaper
        self.network = network
        self.server = server
        self.caPEM = caPEM
        self.adminToken = adminToken
        self.unprivilegedToken = unprivilegedToken
        self.requestheaderCA = requestheaderCA
        self.apiserverBinary = apiserverBinary
        self.apiserverArguments = apiserverArguments
        processes = Mutex([:])
        admin = KubeClient(config: ClientConfig(server: server, tls: TLSOptions(certificateAuthority: .pem(Data(caPEM.utf8))), authentication: .bearer(.value(adminToken))))
        adminKubeconfig = directory.appendingPathComponent("admin.kubeconfig")
        try? Self.kubeconfig(server: server, caPEM: caPEM, token: adminToken).write(to: adminKubeconfig, atomically: true, encoding: .utf8)
    }

    func add(_ process: ChildProcess) { processes.withLock { $0[process.name] = process } }
    public func process(_ name: String) -> ChildProcess? { processes.withLock { $0[name] } }

    /// Starts kube-apiserver (again, after `stopAPIServer`) and waits until `/readyz` answers ok.
    public func startAPIServer() async throws {
        let process = try ChildProcess(
            name: "kube-apiserver", executable: apiserverBinary, arguments: apiserverArguments,
            logFile: directory.appendingPathComponent("kube-apiserver.log"), reaper: reaper)
        add(process)
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { break }
            if let body = try? await admin.raw("GET", "/readyz"), String(decoding: body, as: UTF8.self) == "ok" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ControlPlaneError("kube-apiserver did not become ready\n\(process.logTail())")
    }

    public func stopAPIServer() async {
        await process("kube-apiserver")?.stop()
    }

    /// A kubeconfig for this apiserver with a bearer token (written into the run's directory).
    public func writeKubeconfig(token: String, name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Self.kubeconfig(server: server, caPEM: caPEM, token: token).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func kubeconfig(server: String, caPEM: String, token: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: e2e
            cluster:
              server: \(server)
              certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())
        users:
          - name: e2e
            user:
              token: \(token)
        contexts:
          - name: e2e
            context: {cluster: e2e, user: e2e}
        current-context: e2e

        """
    }

    /// kubectl as cluster admin; throws with kubectl's words when it fails.
    @discardableResult
    public func kubectl(_ arguments: [String], stdin: String? = nil) async throws -> String {
        let result = try await Tool.run(try Tool.path("kubectl", hint: "kubectl"), ["--kubeconfig", adminKubeconfig.path] + arguments, stdin: stdin)
        guard result.status == 0 else { throw ControlPlaneError("kubectl \(arguments.joined(separator: " ")) failed: \(result.stderr)\(result.stdout)") }
        return result.stdout
    }

    /// HPA writes the apiserver audited (create, update, patch, delete; not status).
    public func auditedHPAWrites() -> [AuditedWrite] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("audit.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let object = event["objectRef"] as? [String: Any], object["subresource"] == nil
            else { return nil }
            return AuditedWrite(
                user: (event["user"] as? [String: Any])?["username"] as? String ?? "",
                verb: event["verb"] as? String ?? "",
                namespace: object["namespace"] as? String ?? "", name: object["name"] as? String ?? "",
                code: (event["responseStatus"] as? [String: Any])?["code"] as? Int ?? 0)
        }
    }

    /// Every process stopped, the network namespace deleted, the directory removed (kept when
    /// `HPA_OPERATOR_E2E_KEEP` is set, for reading the logs).
    public func stop() async {
        let all = processes.withLock { $0.values }
        for process in all where process.name != "etcd" { await process.stop(grace: .seconds(5)) }
        for process in all where process.name == "etcd" { await process.stop(grace: .seconds(5)) }
        await network.delete()
        reaper.dismiss()
        if ProcessInfo.processInfo.environment["HPA_OPERATOR_E2E_KEEP"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// The logs of every process, for a failure message.
    public func logs(_ characters: Int = 1500) -> String {
        processes.withLock { $0.values.map { $0.logTail(characters) } }.joined(separator: "\n\n")
    }
}

/// One audited HPA write.
public struct AuditedWrite: Sendable, Hashable {
    public var user: String
    public var verb: String
    public var namespace: String
    public var name: String
    public var code: Int
}

public struct ControlPlaneError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
