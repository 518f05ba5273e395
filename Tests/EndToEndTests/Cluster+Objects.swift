import Foundation
import KubeClient
import KubeModel
import TestSupport
import Testing

/// Objects the scenarios create and read, as JSON (a real apiserver wants whole pod templates,
/// which the product's slim workload types leave out on purpose).
extension Cluster {
    static let domain = "hpa.autoscaling.banzaicloud.io"

    /// Annotations for one Prometheus metric `rps` on `sum(e2e_value{scenario=…})`, collected every
    /// second, scaling down without the 5-minute window.
    static func annotations(
        scenario: String, min: Int = 1, max: Int = 10, target: String = "targetAverageValue", value: String = "10",
        extra: [String: String] = [:]
    ) -> [String: String] {
        [
            "\(domain)/minReplicas": "\(min)",
            "\(domain)/maxReplicas": "\(max)",
            "\(domain)/scaleDownStabilizationWindowSeconds": "0",
            "prometheus.rps.\(domain)/query": "sum(e2e_value{scenario=\"\(scenario)\"})",
            "prometheus.rps.\(domain)/\(target)": value,
            "prometheus.rps.\(domain)/interval": "1s",
        ].merging(extra) { $1 }
    }

    /// A scenario's namespace, and its exported value (`e2e_value{scenario=<namespace>}`) set.
    func makeScenario(_ namespace: String, exporting value: Double = 5) async throws {
        try await makeNamespace(namespace)
        export(scenario: namespace, value)
    }

    /// Sets the exporter's `e2e_value{scenario=…}` (nil removes it).
    func export(scenario: String, _ value: Double?) {
        exporter.set("e2e_value", ["scenario": scenario], to: value)
    }

    func json(_ path: String) async throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: try await client.raw("GET", path)) as? [String: Any])
    }

    @discardableResult
    func send(_ method: String, _ path: String, _ object: Any, contentType: String = "application/json") async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try #require(try JSONSerialization.jsonObject(with: try await client.raw(method, path, body: body, contentType: contentType)) as? [String: Any])
    }

    /// A fresh namespace (its default ServiceAccount comes from the serviceaccount controller).
    func makeNamespace(_ name: String) async throws {
        try await send("POST", "/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": name]])
        if !ClusterBinaries.hasControllerManager {
            // No serviceaccount controller to make it (envtest's assets): made as it would.
            try await send("POST", "/api/v1/namespaces/\(name)/serviceaccounts", ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]])
        }
        try await eventually("the default ServiceAccount in \(name)") {
            (try? await client.raw("GET", "/api/v1/namespaces/\(name)/serviceaccounts/default")) != nil
        }
    }

    /// Creates a Deployment (or StatefulSet) whose pods carry `app: <name>`; returns its uid.
    @discardableResult
    func createWorkload(
        _ kind: String = "Deployment", namespace: String, name: String, replicas: Int = 1,
        annotations: [String: String] = [:], templateAnnotations: [String: String] = [:]
    ) async throws -> String {
        var spec: [String: Any] = [
            "replicas": replicas,
            "selector": ["matchLabels": ["app": name]],
            "template": [
                "metadata": ["labels": ["app": name], "annotations": templateAnnotations],
                "spec": ["containers": [["name": "app", "image": "registry.k8s.io/pause:3.9"]]],
            ],
        ]
        if kind == "StatefulSet" {
            spec["serviceName"] = name
            spec["podManagementPolicy"] = "Parallel"
        }
        let object: [String: Any] = ["apiVersion": "apps/v1", "kind": kind, "metadata": ["name": name, "namespace": namespace, "annotations": annotations], "spec": spec]
        let created = try await send("POST", "/apis/apps/v1/namespaces/\(namespace)/\(kind.lowercased())s", object)
        return try #require((created["metadata"] as? [String: Any])?["uid"] as? String)
    }

    /// Merge-patches a workload's metadata (`nil` values remove keys).
    func patchWorkload(_ kind: String = "Deployment", namespace: String, name: String, annotations: [String: Any]? = nil, labels: [String: Any]? = nil) async throws {
        var metadata: [String: Any] = [:]
        if let annotations { metadata["annotations"] = annotations }
        if let labels { metadata["labels"] = labels }
        try await send("PATCH", "/apis/apps/v1/namespaces/\(namespace)/\(kind.lowercased())s/\(name)", ["metadata": metadata], contentType: "application/merge-patch+json")
    }

    func deleteWorkload(_ kind: String = "Deployment", namespace: String, name: String) async throws {
        // Background propagation, as kubectl does: the garbage collector removes what it owns.
        try await send(
            "DELETE", "/apis/apps/v1/namespaces/\(namespace)/\(kind.lowercased())s/\(name)",
            ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"])
    }

    /// `spec.replicas` of a workload.
    func replicas(_ kind: String = "Deployment", namespace: String, name: String) async throws -> Int? {
        let object = try await json("/apis/apps/v1/namespaces/\(namespace)/\(kind.lowercased())s/\(name)")
        return (object["spec"] as? [String: Any])?["replicas"] as? Int
    }

    func hpa(_ namespace: String, _ name: String) async throws -> HorizontalPodAutoscaler? {
        do {
            return try await client.get(HorizontalPodAutoscaler.self, namespace: namespace, name: name)
        } catch KubeError.notFound {
            return nil
        }
    }

    /// core/v1 Events about one object, oldest first.
    func events(_ namespace: String, about name: String) async throws -> [Event] {
        try await client.list(Event.self, namespace: namespace, options: ListOptions(fieldSelector: "involvedObject.name=\(name)")).items
    }

    /// The HPA's condition of that type (`ScalingActive`), as the HPA controller wrote it.
    func condition(_ type: String, of hpa: HorizontalPodAutoscaler?) -> (status: String, reason: String, message: String)? {
        guard let condition = hpa?.status?.conditions?.first(where: { $0.type == type }) else { return nil }
        return (condition.status, condition.reason ?? "", condition.message ?? "")
    }

    /// HPA writes the operator's ServiceAccount made, as the apiserver audited them.
    func operatorWrites(namespace: String? = nil) -> [AuditedWrite] {
        plane.auditedHPAWrites().filter { $0.user == Self.operatorUser && (namespace == nil || $0.namespace == namespace) }
    }
}
