import Foundation

/// Where the real control plane's binaries (kube-apiserver and kube-controller-manager v1.26) come
/// from: `HPA_OPERATOR_K8S_BIN` (a folder), else `../shared/k8s/unpack` beside the repository.
public enum ClusterBinaries {
    public static let hint = "set HPA_OPERATOR_K8S_BIN to a folder holding kube-apiserver and kube-controller-manager (v1.26), or put the shared/k8s folder beside the repository"

    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var sharedUnpack: URL { packageRoot.deletingLastPathComponent().appendingPathComponent("shared/k8s/unpack") }
    static var environmentFolder: String? { ProcessInfo.processInfo.environment["HPA_OPERATOR_K8S_BIN"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Whether the suite runs at all. When it does, a harness that cannot start fails it: it is
    /// never skipped quietly where the binaries exist.
    public static var available: Bool {
        environmentFolder != nil || FileManager.default.isExecutableFile(atPath: sharedUnpack.path)
    }

    /// The folder holding both binaries (unpacking the shared copy when that is the source).
    public static func folder() async throws -> URL {
        if let folder = environmentFolder {
            let url = URL(fileURLWithPath: folder)
            for binary in ["kube-apiserver", "kube-controller-manager"] where !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent(binary).path) {
                throw ToolError("HPA_OPERATOR_K8S_BIN=\(folder) has no executable \(binary)")
            }
            return url
        }
        let result = try await Tool.run(sharedUnpack.path, [])
        let folder = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.status == 0, !folder.isEmpty else { throw ToolError("\(sharedUnpack.path) failed: \(result.stderr)") }
        return URL(fileURLWithPath: folder)
    }
}
