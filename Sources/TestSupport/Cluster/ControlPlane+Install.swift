import Foundation
import Yams

extension ControlPlane {
    /// What installing config/default gave: kubectl's output, and `hpa-operator run`'s arguments as
    /// config/default's Deployment has them, to run the product locally in its place.
    public struct Installation: Sendable {
        public var output: String
        /// After `run`: config/default's arguments, the Prometheus URL filled in, and
        /// `--kubeconfig` with the ServiceAccount's own token.
        public var runArguments: [String]
    }

    public static let operatorNamespace = "hpa-operator-system"
    public static let operatorUser = "system:serviceaccount:hpa-operator-system:hpa-operator"
    static var configDefault: String { ClusterBinaries.packageRoot.appendingPathComponent("config/default").path }

    /// `kubectl apply -k config/default`, as a user installs it; Endpoints for its Service pointing
    /// into the network namespace (no endpoints controller runs), with config/default's port
    /// names; and a kubeconfig with a TokenRequest token of its ServiceAccount. `prometheus` nil
    /// leaves `--prometheus-server` out (nothing is collected).
    public func installConfigDefault(prometheus: String?) async throws -> Installation {
        let output = try await kubectl(["apply", "-k", Self.configDefault])
        try await pointService("hpa-operator", namespace: Self.operatorNamespace)
        let kubeconfig = try await serviceAccountKubeconfig("hpa-operator", namespace: Self.operatorNamespace)
        var arguments = try await Self.configDefaultRunArguments()
        if let prometheus {
            arguments = arguments.map { $0.replacingOccurrences(of: "$(PROMETHEUS_SERVER)", with: prometheus) }
        } else {
            arguments.removeAll { $0.contains("$(PROMETHEUS_SERVER)") }
        }
        return Installation(output: output, runArguments: arguments + ["--kubeconfig=\(kubeconfig.path)"])
    }

    /// Endpoints for an install's Service pointing into the network namespace (no endpoints
    /// controller runs), with the port names config/default and the chart use; and the same as an
    /// EndpointSlice, which newer aggregators may read instead and no mirroring controller makes
    /// here. The slice is best effort: the suite passed on v1.26.1 and v1.33.3 with Endpoints alone.
    public func pointService(_ name: String, namespace: String) async throws {
        let endpoints =
            #"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},"subsets":[{"addresses":[{"ip":"\#(network.address)"}],"ports":[{"name":"https","port":6443},{"name":"metrics","port":8080}]}]}"#
        _ = try await admin.raw("POST", "/api/v1/namespaces/\(namespace)/endpoints", body: Data(endpoints.utf8))
        let slice =
            #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"\#(name)-e2e","namespace":"\#(namespace)","labels":{"kubernetes.io/service-name":"\#(name)"}},"addressType":"IPv4","endpoints":[{"addresses":["\#(network.address)"],"conditions":{"ready":true}}],"ports":[{"name":"https","port":6443,"protocol":"TCP"},{"name":"metrics","port":8080,"protocol":"TCP"}]}"#
        _ = try? await admin.raw("POST", "/apis/discovery.k8s.io/v1/namespaces/\(namespace)/endpointslices", body: Data(slice.utf8))
    }

    /// A kubeconfig with a TokenRequest token of that ServiceAccount: its RBAC, nothing more.
    public func serviceAccountKubeconfig(_ name: String, namespace: String) async throws -> URL {
        let token = try await kubectl(["create", "token", name, "-n", namespace, "--duration=6h"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return try writeKubeconfig(token: token, name: "\(namespace).\(name).kubeconfig")
    }

    /// The container arguments of config/default's Deployment after `run`, as kustomize renders them.
    static func configDefaultRunArguments() async throws -> [String] {
        let rendered = try await Tool.run(try Tool.path("kubectl", hint: "kubectl"), ["kustomize", configDefault])
        guard rendered.status == 0 else { throw ControlPlaneError("kubectl kustomize config/default failed: \(rendered.stderr)") }
        return try runArguments(in: rendered.stdout)
    }

    /// The arguments after `run` (or `check`) of the first Deployment or Pod in these manifests
    /// whose container runs that command.
    public static func runArguments(in manifests: String, command: String = "run") throws -> [String] {
        for document in try Yams.load_all(yaml: manifests) {
            guard let object = document as? [String: Any] else { continue }
            let pod = object["kind"] as? String == "Pod" ? object : ((object["spec"] as? [String: Any])?["template"] as? [String: Any])
            guard let containers = (pod?["spec"] as? [String: Any])?["containers"] as? [[String: Any]],
                let arguments = containers.first?["args"] as? [String], arguments.first == command
            else { continue }
            return Array(arguments.dropFirst())
        }
        throw ControlPlaneError("the manifests hold no Deployment or Pod running `hpa-operator \(command)`")
    }
}
