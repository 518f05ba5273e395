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
        let output = try kubectl(["apply", "-k", Self.configDefault])
        let endpoints = #"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"hpa-operator","namespace":"\#(Self.operatorNamespace)"},"subsets":[{"addresses":[{"ip":"\#(network.address)"}],"ports":[{"name":"https","port":6443},{"name":"metrics","port":8080}]}]}"#
        _ = try await admin.raw("POST", "/api/v1/namespaces/\(Self.operatorNamespace)/endpoints", body: Data(endpoints.utf8))
        let token = try kubectl(["create", "token", "hpa-operator", "-n", Self.operatorNamespace, "--duration=6h"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let kubeconfig = try writeKubeconfig(token: token, name: "hpa-operator.kubeconfig")
        var arguments = try Self.configDefaultRunArguments()
        if let prometheus {
            arguments = arguments.map { $0.replacingOccurrences(of: "$(PROMETHEUS_SERVER)", with: prometheus) }
        } else {
            arguments.removeAll { $0.contains("$(PROMETHEUS_SERVER)") }
        }
        return Installation(output: output, runArguments: arguments + ["--kubeconfig=\(kubeconfig.path)"])
    }

    /// The container arguments of config/default's Deployment after `run`, as kustomize renders them.
    static func configDefaultRunArguments() throws -> [String] {
        let rendered = try Tool.run(try Tool.path("kubectl", hint: "kubectl"), ["kustomize", configDefault])
        guard rendered.status == 0 else { throw ControlPlaneError("kubectl kustomize config/default failed: \(rendered.stderr)") }
        for document in try Yams.load_all(yaml: rendered.stdout) {
            guard let object = document as? [String: Any], object["kind"] as? String == "Deployment",
                  let template = (object["spec"] as? [String: Any])?["template"] as? [String: Any],
                  let containers = (template["spec"] as? [String: Any])?["containers"] as? [[String: Any]],
                  let arguments = containers.first?["args"] as? [String], arguments.first == "run" else { continue }
            return Array(arguments.dropFirst())
        }
        throw ControlPlaneError("config/default renders no Deployment running `hpa-operator run`")
    }
}
