import Foundation
import KubeClient
import KubeModel

/// What a kubelet would report, without containers: every Pending pod in the given namespaces is
/// marked Running and Ready through `pods/status`, so the HPA controller counts it (it counts
/// ready pods for Value and Pods metrics). Runs until `stop()`.
public final class KubeletStandIn: Sendable {
    private let task: Task<Void, Never>

    /// `namespaces` nil: all but `excluded`.
    public init(client: KubeClient, excluded: Set<String> = []) {
        task = Task {
            while !Task.isCancelled {
                await Self.markReady(client: client, excluded: excluded)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    public func stop() { task.cancel() }

    /// Marks the Pending pods Running and Ready (those of `labelSelector` only, when given).
    public static func markReady(client: KubeClient, excluded: Set<String> = [], labelSelector: String? = nil) async {
        guard let data = try? await client.raw("GET", "/api/v1/pods", query: labelSelector.map { [("labelSelector", $0)] } ?? []),
            let list = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let items = list["items"] as? [[String: Any]]
        else { return }
        for pod in items {
            guard let metadata = pod["metadata"] as? [String: Any], let namespace = metadata["namespace"] as? String,
                let name = metadata["name"] as? String, !excluded.contains(namespace), metadata["deletionTimestamp"] == nil
            else { continue }
            let status = pod["status"] as? [String: Any]
            let ready = (status?["conditions"] as? [[String: Any]])?.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "True" } ?? false
            guard status?["phase"] as? String != "Running" || !ready else { continue }
            let now = Timestamp.rfc3339(Date())
            let patch = #"{"status":{"phase":"Running","startTime":"\#(now)","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"\#(now)"}]}}"#
            _ = try? await client.raw("PATCH", "/api/v1/namespaces/\(namespace)/pods/\(name)/status", body: Data(patch.utf8), contentType: "application/merge-patch+json")
        }
    }
}
