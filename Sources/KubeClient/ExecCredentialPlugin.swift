import Foundation
import KubeModel
import Synchronization

/// Runs a kubeconfig `exec` credential plugin and caches its answer until it expires. Callers who
/// need a credential at the same moment share one run; a plugin that does not finish within
/// `timeout` is killed; its stdout and stderr are read at the same time, so a plugin that writes a
/// lot to either cannot block on a full pipe.
final class ExecCredentialPlugin: Sendable {
    static let supportedVersions: Set<String> = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    struct Credential: Sendable, Equatable {
        var token: String?
        var clientCertificatePEM: String?
        var clientKeyPEM: String?
        var expiration: Date?
    }

    let config: ExecConfig
    let directory: String
    let timeout: Duration
    /// The status standing for "stopped at the timeout" (no process exits with it).
    static let timedOut: Int32 = -1
    private let cached = Mutex<Credential?>(nil)
    /// The run in progress, which concurrent callers wait on instead of starting their own.
    private let running = Mutex<Task<Credential, any Error>?>(nil)

    init(config: ExecConfig, directory: String, timeout: Duration = .seconds(60)) {
        self.config = config
        self.directory = directory
        self.timeout = timeout
    }

    /// The cached credential while it is valid (with 10 s to spare), else a fresh one.
    func credential(now: Date = Date()) async throws(KubeConfigError) -> Credential {
        func valid() -> Credential? {
            cached.withLock { $0 }.flatMap { credential in credential.expiration.map({ $0.timeIntervalSince(now) > 10 }) ?? true ? credential : nil }
        }
        if let credential = valid() { return credential }
        let task = running.withLock { running in
            if let task = running { return task }
            // A run that ended since the look above left its credential: no second run. (A run
            // stores its credential before it clears `running`, under the other lock.)
            if let credential = valid() { return Task { credential } }
            let task = Task { () async throws -> Credential in
                defer { self.running.withLock { $0 = nil } }
                let fresh = try await self.run()
                self.cached.withLock { $0 = fresh }
                return fresh
            }
            running = task
            return task
        }
        do {
            return try await task.value
        } catch let error as KubeConfigError {
            throw error
        } catch {
            throw KubeConfigError("exec credential plugin '\(config.command)': \(error)")
        }
    }

    /// Forget the cached credential (after the apiserver answered 401).
    func invalidate() {
        cached.withLock { $0 = nil }
    }

    private func run() async throws(KubeConfigError) -> Credential {
        let apiVersion = config.apiVersion ?? "client.authentication.k8s.io/v1"
        let process = Process()
        let command =
            config.command.contains("/") && !config.command.hasPrefix("/")
            ? (directory as NSString).appendingPathComponent(config.command) : config.command
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + (config.args ?? [])
        var environment = ProcessInfo.processInfo.environment
        for variable in config.env ?? [] { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = #"{"kind":"ExecCredential","apiVersion":"\#(apiVersion)","spec":{"interactive":false}}"#
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let hint = config.installHint.map { ": \($0)" } ?? ""
        let result: (status: Int32, out: Data, err: Data)
        do {
            try process.run()
            result = await withCheckedContinuation { continuation in
                let resumed = Mutex(false)
                let finish = { @Sendable (answer: (Int32, Data, Data)) in
                    if resumed.withLock({
                        let first = !$0
                        $0 = true
                        return first
                    }) {
                        continuation.resume(returning: answer)
                    }
                }
                // A plugin that hangs (waiting for a browser login, a dead network) is stopped,
                // and not waited on: a child of it may hold its pipes open.
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds) {
                    guard !resumed.withLock({ $0 }) else { return }
                    if process.isRunning { process.terminate() }
                    finish((Self.timedOut, Data(), Data()))
                }
                // Reading the pipes blocks: do it off the cooperative pool, both at once.
                DispatchQueue.global().async {
                    let errors = Mutex(Data())
                    let group = DispatchGroup()
                    DispatchQueue.global().async(group: group) { errors.withLock { $0 = Self.readToEnd(stderr.fileHandleForReading) } }
                    let out = Self.readToEnd(stdout.fileHandleForReading)
                    group.wait()
                    process.waitUntilExit()
                    finish((process.terminationStatus, out, errors.withLock { $0 }))
                }
            }
        } catch {
            throw KubeConfigError("exec credential plugin '\(config.command)' could not be started: \(error.localizedDescription)\(hint)")
        }
        if result.status == Self.timedOut {
            throw KubeConfigError("exec credential plugin '\(config.command)' did not finish within \(timeout) and was stopped\(hint)")
        }
        guard result.status == 0 else {
            let message = String(decoding: result.err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let notFound = result.status == 127 ? " (command not found\(hint))" : ""
            throw KubeConfigError("exec credential plugin '\(config.command)' exited with status \(result.status)\(notFound)\(message.isEmpty ? "" : ": \(message)")")
        }
        return try decode(result.out, expecting: apiVersion)
    }

    /// Everything until end of file. FileHandle.readDataToEndOfFile traps when a read is
    /// interrupted by a signal (EINTR, seen when a child's SIGCHLD arrived mid-read); this
    /// reads again instead. A read error ends it with what was read.
    static func readToEnd(_ handle: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[..<count])
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return data
        }
    }

    private func decode(_ data: Data, expecting apiVersion: String) throws(KubeConfigError) -> Credential {
        struct Output: Decodable {
            struct Status: Decodable {
                var token: String?
                var clientCertificateData: String?
                var clientKeyData: String?
                var expirationTimestamp: String?
            }
            var apiVersion: String?
            var kind: String?
            var status: Status?
        }
        let name = "exec credential plugin '\(config.command)'"
        guard let output = try? JSONDecoder().decode(Output.self, from: data), output.kind == "ExecCredential" else {
            throw KubeConfigError("\(name) did not print an ExecCredential: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
        guard output.apiVersion == apiVersion else {
            throw KubeConfigError("\(name) answered apiVersion \(output.apiVersion ?? "(none)"), expected \(apiVersion)")
        }
        guard let status = output.status, status.token != nil || status.clientCertificateData != nil else {
            throw KubeConfigError("\(name) returned neither a token nor a client certificate")
        }
        var expiration: Date?
        if let text = status.expirationTimestamp {
            guard let date = Timestamp.parse(text) else {
                throw KubeConfigError("\(name): expirationTimestamp '\(text)' is not RFC 3339")
            }
            expiration = date
        }
        return Credential(token: status.token, clientCertificatePEM: status.clientCertificateData, clientKeyPEM: status.clientKeyData, expiration: expiration)
    }
}
