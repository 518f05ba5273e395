import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import TestSupport

/// A fake apiserver and a client for it; both stop at the end.
func withFakeAPI<R>(
    _ options: FakeAPIServer.Options = FakeAPIServer.Options(), _ body: (FakeAPIServer, KubeClient) async throws -> R
) async throws -> R {
    let server = try await FakeAPIServer.start(options)
    let client = KubeClient(config: ClientConfig(server: server.url))
    do {
        let result = try await body(server, client)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

func deployment(_ name: String, namespace: String = "default", replicas: Int32 = 1, labels: [String: String] = [:], annotations: [String: String]? = nil) -> Deployment {
    Deployment(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: ["app": name].merging(labels) { $1 }, annotations: annotations),
        spec: WorkloadSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": name])))
}

/// The members of a JSON object, to compare shapes with captured bytes.
func keys(_ value: JSONValue?) -> Set<String> {
    if case .object(let members)? = value { return Set(members.keys) }
    return []
}

func json(_ data: Data) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: data)
}

/// A scratch directory removed at process exit is good enough for tests.
func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kube-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
