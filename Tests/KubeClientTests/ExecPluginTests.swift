import Foundation
import TestSupport
import Testing

@testable import KubeClient

/// Exec credential plugins behave: one run for concurrent callers, a timeout, and no deadlock on
/// a plugin that writes a lot to stderr.
@Suite struct ExecPluginTests {
    static func plugin(_ body: String, timeout: Duration = .seconds(60)) throws -> (ExecCredentialPlugin, calls: String) {
        let directory = try scratchDirectory()
        let calls = directory.appendingPathComponent("calls").path
        let script = directory.appendingPathComponent("plugin").path
        try Data(
            """
            #!/bin/sh
            echo call >> \(calls)
            \(body)
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'
            """.utf8
        ).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let config = try JSONDecoder().decode(ExecConfig.self, from: Data(#"{"apiVersion":"client.authentication.k8s.io/v1","command":"\#(script)"}"#.utf8))
        return (ExecCredentialPlugin(config: config, directory: directory.path, timeout: timeout), calls)
    }

    static func calls(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func concurrentCallersShareOneRun() async throws {
        let (plugin, calls) = try Self.plugin("sleep 0.5")
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<10 { group.addTask { try await plugin.credential().token } }
            for try await token in group { #expect(token == "t") }
        }
        #expect(Self.calls(calls) == 1)
    }

    @Test func aPluginWritingMuchToStderrDoesNotDeadlock() async throws {
        let (plugin, _) = try Self.plugin("head -c 2000000 /dev/zero | tr '\\\\0' x >&2")
        let token = try await withDeadline(hangBound) { try await plugin.credential().token }
        #expect(token == "t")
    }

    @Test func aPluginThatHangsIsStopped() async throws {
        let (plugin, _) = try Self.plugin("sleep 30", timeout: .seconds(1))
        do {
            _ = try await withDeadline(hangBound) { try await plugin.credential() }
            Issue.record("a hanging plugin gave a credential")
        } catch let error as KubeConfigError {
            #expect(error.message.contains("did not finish within"), "\(error)")
        }
    }
}
