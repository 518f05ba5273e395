import Foundation

/// A long-running program a test starts (etcd, kube-apiserver, Prometheus, `hpa-operator run`):
/// its output goes to a log file in the run's directory, and the `Reaper` kills it should the
/// test process itself die.
public final class ChildProcess: Sendable {
    public let name: String
    public let logFile: URL
    private let process: Process

    public init(name: String, executable: String, arguments: [String], logFile: URL, reaper: Reaper? = nil) throws {
        self.name = name
        self.logFile = logFile
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        reaper?.watch(pid: process.processIdentifier)
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func stop(grace: Duration = .seconds(10)) async {
        guard process.isRunning else { return }
        process.terminate()
        if await waitForExit(within: grace) { return }
        await kill()
    }

    /// SIGKILL: a crash, as far as the program can tell.
    public func kill() async {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(within: .seconds(30))
    }

    /// True once the program has exited (polled, so no thread blocks in waitpid).
    public func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !process.isRunning
    }

    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The end of its log, for failure messages.
    public func logTail(_ characters: Int = 3000) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return "\(name) (\(logFile.path)):\n" + String(text.suffix(characters))
    }
}

/// A watchdog shell that outlives a crashed test process: when the test process is gone it kills
/// every program registered with it, deletes the run's network namespace and veth, and removes
/// the run's directory. A normal teardown does all that itself and then ends the watchdog.
public final class Reaper: Sendable {
    private let directory: URL
    private let process: Process

    public init(directory: URL) throws {
        self.directory = directory
        let script = """
            parent=$1; state=$2
            while kill -0 "$parent" 2>/dev/null; do sleep 1; [ -f "$state/reaper.dismissed" ] && exit 0; done
            [ -f "$state/reaper.pids" ] && kill -9 $(cat "$state/reaper.pids") 2>/dev/null
            [ -f "$state/reaper.netns" ] && while read -r ns veth; do ip link del "$veth" 2>/dev/null; ip netns del "$ns" 2>/dev/null; done < "$state/reaper.netns"
            rm -rf "$state"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, "reaper", String(getpid()), directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    public func watch(pid: Int32) { append("\(pid)\n", to: "reaper.pids") }

    public func watch(networkNamespace name: String, veth: String) { append("\(name) \(veth)\n", to: "reaper.netns") }

    /// The run ended normally and cleaned up after itself.
    public func dismiss() {
        append("", to: "reaper.dismissed")
        if process.isRunning { process.terminate() }
    }

    private func append(_ line: String, to file: String) {
        let url = directory.appendingPathComponent(file)
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: url) else { return }
        handle.seekToEndOfFile()
        handle.write(Data(line.utf8))
        try? handle.close()
    }
}
