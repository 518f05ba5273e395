import Foundation

/// Helm's own Go SDK (PyPI `helm-python-sdk`, installed by `make helm-sdk` into
/// .build/helm-venv) driven through Tests/Helm/helm_sdk.py: render, lint, install, upgrade and
/// uninstall the chart as Helm itself does, without a helm binary.
public enum HelmSDK {
    public static let hint = "run `make helm-sdk` (Helm's Go SDK from PyPI, in .build/helm-venv), or set HPA_OPERATOR_HELM_PYTHON to a Python that imports helm_python"
    public static var chart: String { ClusterBinaries.packageRoot.appendingPathComponent("config/helm/hpa-operator").path }
    static var script: String { ClusterBinaries.packageRoot.appendingPathComponent("Tests/Helm/helm_sdk.py").path }

    static var python: String? {
        if let path = ProcessInfo.processInfo.environment["HPA_OPERATOR_HELM_PYTHON"], !path.isEmpty { return path }
        let venv = ClusterBinaries.packageRoot.appendingPathComponent(".build/helm-venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    /// Whether the chart's tests run (they fail, not skip, when the SDK is there but broken).
    public static var available: Bool { python != nil }

    /// What Helm refused, in its words (a schema violation, a failed install).
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every template's output by path (`hpa-operator/templates/rbac.yaml`).
    public static func render(_ values: [String: Any] = [:], release: String = "hpa-operator", namespace: String = "hpa-operator-system") async throws -> [String: String] {
        try await call(["render", chart, try json(values), release, namespace]) as? [String: String] ?? [:]
    }

    /// Helm's strict lint: its messages as (severity 1 info … 3 error, path, text).
    public static func lint(_ values: [String: Any] = [:], kubeVersion: String = "1.26.1") async throws -> [(severity: Int, path: String, text: String)] {
        let result = try await call(["lint", chart, try json(values), kubeVersion]) as? [String: Any] ?? [:]
        return (result["messages"] as? [[String: Any]] ?? []).map { ($0["severity"] as? Int ?? 0, $0["path"] as? String ?? "", $0["error"] as? String ?? "") }
    }

    @discardableResult
    public static func install(kubeconfig: String, values: [String: Any] = [:], release: String = "hpa-operator", namespace: String) async throws -> String {
        (try await call(["install", kubeconfig, chart, try json(values), release, namespace]) as? [String: Any])?["manifest"] as? String ?? ""
    }

    @discardableResult
    public static func upgrade(kubeconfig: String, values: [String: Any] = [:], release: String = "hpa-operator", namespace: String) async throws -> String {
        (try await call(["upgrade", kubeconfig, chart, try json(values), release, namespace]) as? [String: Any])?["manifest"] as? String ?? ""
    }

    public static func uninstall(kubeconfig: String, release: String = "hpa-operator", namespace: String) async throws {
        _ = try await call(["uninstall", kubeconfig, release, namespace])
    }

    private static func json(_ values: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: values), as: UTF8.self)
    }

    private static func call(_ arguments: [String]) async throws -> Any {
        guard let python else { throw ToolError("Helm's SDK is not installed: \(hint)") }
        let result = try await Tool.run(python, [script] + arguments)
        guard let output = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) else {
            throw ToolError("helm_sdk.py \(arguments.first ?? "") failed (\(result.status)): \(result.stderr)\(result.stdout)")
        }
        if let refusal = (output as? [String: Any])?["error"] as? String { throw Refusal(description: refusal) }
        return output
    }
}
