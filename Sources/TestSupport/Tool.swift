import Foundation
import KubeModel

/// External programs tests and fixtures use (kubectl, promtool, readelf, the built
/// `hpa-operator`), found on PATH or in the usual places, with an error saying how to install them.
public enum Tool {
    public static func path(_ name: String, hint: String) throws -> String {
        let directories = ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        guard let found = directories.map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile) else {
            throw ToolError("\(name) is not installed: \(hint) (`make deps` installs it)")
        }
        return found
    }

    /// What a finished program said.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// Runs a program to completion without holding a thread while it runs: tests share the
    /// cooperative pool (one thread per core), and a test blocked in waitpid there stalls every
    /// other test's timers and servers (a CI run stood still for 75 s behind Helm renders).
    /// Standard streams go through files, so no pipe can fill. With `timeout`, a program still
    /// running then is killed (its status is then the signal's).
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil, in directory: URL? = nil, timeout: Duration? = nil) async throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let files = ["in", "out", "err"].map { scratch.appendingPathComponent($0) }
        try Data((stdin ?? "").utf8).write(to: files[0])
        for file in files.dropFirst() { FileManager.default.createFile(atPath: file.path, contents: nil) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardInput = try FileHandle(forReadingFrom: files[0])
        process.standardOutput = try FileHandle(forWritingTo: files[1])
        process.standardError = try FileHandle(forWritingTo: files[2])
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let timeout {
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) { if process.isRunning { process.terminate() } }
            }
        }
        return Result(
            status: status,
            stdout: String(decoding: try Data(contentsOf: files[1]), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: files[2]), as: UTF8.self))
    }
}

public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
