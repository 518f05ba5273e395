import Foundation
import TestSupport
import Testing

/// No Docker engine runs here, so the image is checked from its parts: the Dockerfile's runtime
/// stage must install exactly the Debian packages holding the shared libraries the binary needs
/// beyond Debian slim's own, so the image can neither miss a library nor carry a spare one.
@Suite struct ImageTests {
    /// In debian:bookworm-slim already (apt itself depends on them).
    static let basePackages: Set<String> = ["libc6", "libgcc-s1", "libstdc++6"]
    /// Not libraries: what the runtime stage installs for other reasons (trust for https).
    static let nonLibraryPackages: Set<String> = ["ca-certificates"]

    /// The packages the runtime stage's `apt-get install` names.
    static func dockerfilePackages() throws -> Set<String> {
        let dockerfile = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let stages = dockerfile.components(separatedBy: "\nFROM ")
        let runtime = try #require(stages.last)
        let install =
            runtime.replacingOccurrences(of: "\\\n", with: " ")
            .split(separator: "\n").first { $0.contains("apt-get install") } ?? ""
        let words = install.split(separator: " ").map(String.init)
        let after = words.drop { $0 != "install" }.dropFirst()
        return Set(after.prefix { $0 != "&&" }.filter { !$0.hasPrefix("-") })
    }

    /// The Debian packages holding the binary's direct shared libraries (ELF NEEDED). Swift's own
    /// runtime libraries are not among them in the image: `make release` links them statically.
    static func neededPackages(_ binary: String) async throws -> (packages: Set<String>, unresolved: [String]) {
        let readelf = try Tool.path("readelf", hint: "binutils")
        let dynamic = try await Tool.run(readelf, ["-d", binary]).stdout
        let libraries = dynamic.split(separator: "\n").filter { $0.contains("(NEEDED)") }
            .compactMap { $0.split(separator: "[").last?.split(separator: "]").first.map(String.init) }
        let swiftRuntime = ["libswift", "libFoundation", "lib_FoundationICU", "libdispatch", "libBlocksRuntime"]
        let cache = try await Tool.run(Tool.path("ldconfig", hint: "libc-bin"), ["-p"]).stdout
        let dpkg = try Tool.path("dpkg", hint: "dpkg")
        var packages = Set<String>()
        var unresolved: [String] = []
        for library in libraries where !swiftRuntime.contains(where: library.hasPrefix) {
            let path =
                cache.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(library + " ") }?
                .components(separatedBy: " => ").last ?? ""
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let candidates = [path, real].flatMap { [$0, $0.hasPrefix("/usr/") ? String($0.dropFirst(4)) : "/usr" + $0] }
            var owner: String?
            for candidate in candidates {
                let result = try await Tool.run(dpkg, ["-S", candidate])
                guard result.status == 0 else { continue }
                owner = result.stdout.split(separator: ":").first.map(String.init)
                break
            }
            if let owner { packages.insert(owner) } else { unresolved.append(library) }
        }
        return (packages, unresolved)
    }

    @Test func theRuntimeStageInstallsExactlyTheLibrariesTheBinaryNeeds() async throws {
        // The release binary when built (its Swift runtime is static), else the one under test.
        let release = CLI.packageRoot.appendingPathComponent(".build/release/hpa-operator").path
        let binary = FileManager.default.fileExists(atPath: release) ? release : CLI.executable.path
        let (needed, unresolved) = try await Self.neededPackages(binary)
        #expect(unresolved.isEmpty, "libraries no Debian package provides: \(unresolved)")
        #expect(needed.contains("libcurl4"))
        let installed = try Self.dockerfilePackages()
        #expect(
            installed.subtracting(Self.nonLibraryPackages) == needed.subtracting(Self.basePackages),
            "Dockerfile installs \(installed.sorted()); \(binary) needs \(needed.sorted()) beyond \(Self.basePackages.sorted())")
    }

    @Test func theImageRunsAsNonRootFromTheReleaseBuild() throws {
        let dockerfile = try String(contentsOf: CLI.packageRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("RUN make release"))
        #expect(dockerfile.contains("FROM debian:bookworm-slim"))
        #expect(dockerfile.contains("USER 65532:65532"))
        #expect(dockerfile.contains("COPY --from=build /src/.build/release/hpa-operator /usr/local/bin/hpa-operator"))
    }
}
