import Foundation

/// A network namespace joined to this host by a veth pair, for one test run: the kube-apiserver
/// refuses loopback addresses in Endpoints, so the metrics API must answer on another address.
/// The host side is `hostAddress`, the namespace side `address`; names and the /24 are unique to
/// the run. Programs run inside with `command(_:)` (`ip netns exec`).
public struct NetworkNamespace: Sendable {
    public let name: String
    public let hostInterface: String
    public let hostAddress: String
    public let address: String

    /// Needs root (`ip netns add`).
    public static func create(reaper: Reaper) async throws -> NetworkNamespace {
        let ip = try Tool.path("ip", hint: "Debian package iproute2")
        let tag = String(format: "%06x", UInt32.random(in: 0..<0xFF_FFFF))
        let used = (try? await Tool.run(ip, ["-4", "-o", "addr"]).stdout) ?? ""
        var subnet = ""
        for _ in 0..<100 {
            let candidate = "10.\(Int.random(in: 201...250)).\(Int.random(in: 0...255))"
            if !used.contains(" \(candidate).") {
                subnet = candidate
                break
            }
        }
        guard !subnet.isEmpty else { throw ToolError("no free 10.x.y.0/24 subnet for the test network namespace") }
        let namespace = NetworkNamespace(name: "hpaop-\(tag)", hostInterface: "hv\(tag)", hostAddress: "\(subnet).1", address: "\(subnet).2")
        reaper.watch(networkNamespace: namespace.name, veth: namespace.hostInterface)
        let peer = "hn\(tag)"
        let steps: [[String]] = [
            ["netns", "add", namespace.name],
            ["link", "add", namespace.hostInterface, "type", "veth", "peer", "name", peer],
            ["link", "set", peer, "netns", namespace.name],
            ["addr", "add", "\(namespace.hostAddress)/24", "dev", namespace.hostInterface],
            ["link", "set", namespace.hostInterface, "up"],
            ["netns", "exec", namespace.name, ip, "addr", "add", "\(namespace.address)/24", "dev", peer],
            ["netns", "exec", namespace.name, ip, "link", "set", peer, "up"],
            ["netns", "exec", namespace.name, ip, "link", "set", "lo", "up"],
        ]
        for step in steps {
            let result = try await Tool.run(ip, step)
            guard result.status == 0 else {
                await namespace.delete()
                throw ToolError("`ip \(step.joined(separator: " "))` failed (the real-cluster suite needs root for network namespaces): \(result.stderr)")
            }
        }
        return namespace
    }

    /// The arguments that run `command` inside the namespace.
    public func command(_ executable: String, _ arguments: [String]) throws -> (String, [String]) {
        (try Tool.path("ip", hint: "Debian package iproute2"), ["netns", "exec", name, executable] + arguments)
    }

    public func delete() async {
        guard let ip = try? Tool.path("ip", hint: "Debian package iproute2") else { return }
        _ = try? await Tool.run(ip, ["link", "del", hostInterface])
        _ = try? await Tool.run(ip, ["netns", "del", name])
    }
}
