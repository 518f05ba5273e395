import Foundation

/// Where the real control plane's binaries come from, first found:
///
/// - `HPA_OPERATOR_K8S_BIN`: one folder holding kube-apiserver and kube-controller-manager
///   (`make e2e` takes several, `dir1:dir2`, and runs the suite once per folder);
/// - `KUBEBUILDER_ASSETS`: envtest's folder (`setup-envtest use 1.33 -p path`), with
///   kube-apiserver but no kube-controller-manager: the scenarios that need the HPA controller or
///   another controller are skipped, each with a line saying so;
/// - `../shared/k8s/unpack` beside the repository.
public enum ClusterBinaries {
    public static let hint = "set HPA_OPERATOR_K8S_BIN to a folder holding kube-apiserver and kube-controller-manager, or KUBEBUILDER_ASSETS to envtest's folder (setup-envtest use 1.33 -p path)"
    public static let noControllersReason =
        "skipped: KUBEBUILDER_ASSETS has no kube-controller-manager, and this scenario needs the HPA controller or another of its controllers; put one in that folder, or use HPA_OPERATOR_K8S_BIN"

    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var sharedUnpack: URL { packageRoot.deletingLastPathComponent().appendingPathComponent("shared/k8s/unpack") }

    private static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the suite runs at all. When it does, a harness that cannot start fails it: it is
    /// never skipped quietly where the binaries exist.
    public static var available: Bool {
        environment("HPA_OPERATOR_K8S_BIN") != nil || environment("KUBEBUILDER_ASSETS") != nil
            || FileManager.default.isExecutableFile(atPath: sharedUnpack.path)
    }

    /// Whether kube-controller-manager runs beside the apiserver (not with envtest's assets alone).
    public static var hasControllerManager: Bool {
        guard environment("HPA_OPERATOR_K8S_BIN") == nil, let assets = environment("KUBEBUILDER_ASSETS") else { return available }
        return FileManager.default.isExecutableFile(atPath: URL(fileURLWithPath: assets).appendingPathComponent("kube-controller-manager").path)
    }

    /// The folder holding the binaries (unpacking the shared copy when that is the source).
    public static func folder() async throws -> URL {
        if let folder = environment("HPA_OPERATOR_K8S_BIN") {
            guard !folder.contains(":") else {
                throw ToolError("HPA_OPERATOR_K8S_BIN=\(folder) names several folders: `make e2e` runs the suite once per folder; swift test takes one")
            }
            return try checked(folder, variable: "HPA_OPERATOR_K8S_BIN", needs: ["kube-apiserver", "kube-controller-manager"])
        }
        if let assets = environment("KUBEBUILDER_ASSETS") {
            return try checked(assets, variable: "KUBEBUILDER_ASSETS", needs: ["kube-apiserver"])
        }
        let result = try await Tool.run(sharedUnpack.path, [])
        let folder = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, !folder.isEmpty else { throw ToolError("\(sharedUnpack.path) failed: \(result.stderr)") }
        return URL(fileURLWithPath: folder)
    }

    private static func checked(_ folder: String, variable: String, needs binaries: [String]) throws -> URL {
        let url = URL(fileURLWithPath: folder)
        for binary in binaries where !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent(binary).path) {
            throw ToolError("\(variable)=\(folder) has no executable \(binary)")
        }
        return url
    }
}
