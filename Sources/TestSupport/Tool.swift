import Foundation

/// External programs tests and fixtures use (kubectl, promtool, readelf), found on PATH or in
/// the usual places, with an error saying how to install them.
public enum Tool {
    public static func path(_ name: String, hint: String) throws -> String {
        let directories = ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        guard let found = directories.map({ "\($0)/\(name)" }).first(where: FileManager.default.isExecutableFile) else {
            throw ToolError("\(name) is not installed: \(hint) (`make deps` installs it)")
        }
        return found
    }

    /// Runs a program to completion. stderr goes through a file, so a chatty program cannot
    /// block on a full pipe while stdout is read.
    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errors)
        let input = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()
        if let input, let stdin {
            // Written from another thread, so a program that answers before reading all of it cannot block us.
            let writer = input.fileHandleForWriting
            DispatchQueue.global().async {
                writer.write(Data(stdin.utf8))
                try? writer.close()
            }
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, (try? String(contentsOf: errors, encoding: .utf8)) ?? "")
    }
}

public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
