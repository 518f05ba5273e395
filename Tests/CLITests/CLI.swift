import Foundation
import Testing
import TestSupport

/// Runs the built `hpa-operator` executable from the package root, as a user would.
enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let goldenDirectory = packageRoot.appendingPathComponent("Tests/CLITests/Golden")

    static var executable: URL { URL(fileURLWithPath: BuiltProduct.path("hpa-operator")) }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// With `timeout`, a process still running then is killed (its status is then the signal's).
    static func run(_ arguments: [String], stdin: String? = nil, timeout: Duration? = nil) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hpa-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let files = ["in", "out", "err"].map { scratch.appendingPathComponent($0) }
        try Data((stdin ?? "").utf8).write(to: files[0])
        for file in files.dropFirst() { FileManager.default.createFile(atPath: file.path, contents: nil) }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        process.standardInput = try FileHandle(forReadingFrom: files[0])
        process.standardOutput = try FileHandle(forWritingTo: files[1])
        process.standardError = try FileHandle(forWritingTo: files[2])
        try process.run()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { if process.isRunning { process.terminate() } }
        }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: try String(contentsOf: files[1], encoding: .utf8),
            stderr: try String(contentsOf: files[2], encoding: .utf8))
    }

    /// `run` on a thread of its own, for tests whose in-process servers answer meanwhile.
    static func runOffPool(_ arguments: [String]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try run(arguments) }) }
        }
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
        try manifest("""
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
