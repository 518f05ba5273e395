import Foundation
import TestSupport
import Testing

/// Runs the built `hpa-operator` executable from the package root, as a user would.
enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let goldenDirectory = packageRoot.appendingPathComponent("Tests/CLITests/Golden")

    static var executable: URL { URL(fileURLWithPath: BuiltProduct.path("hpa-operator")) }

    typealias Result = Tool.Result

    /// The built executable, run from the package root.
    static func run(_ arguments: [String], stdin: String? = nil, timeout: Duration? = nil) async throws -> Result {
        try await Tool.run(executable.path, arguments, stdin: stdin, in: packageRoot, timeout: timeout)
    }

    /// Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it instead.
    static func expectGolden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = goldenDirectory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(text.utf8).write(to: url)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "differs from Golden/\(name); review, then rerun with UPDATE_GOLDEN=1", sourceLocation: sourceLocation)
    }

    /// A kubeconfig for an unauthenticated apiserver (the double), written to a scratch file.
    static func kubeconfig(server: String) throws -> String {
        try manifest(
            """
            apiVersion: v1
            kind: Config
            current-context: fake
            clusters: [{name: fake, cluster: {server: "\(server)"}}]
            contexts: [{name: fake, context: {cluster: fake}}]
            """, name: "kubeconfig")
    }

    /// Writes a scratch manifest and returns its path.
    static func manifest(_ text: String, name: String = "manifest.yaml") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hpa-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }
}
