import Autoscaling
import Foundation
import KubeClient
import KubeModel
import Logging
import Operator
import TestSupport
import Testing

/// An apiserver double with the real HPA admission, a client, and operators running against it.
final class Harness: Sendable {
    let server: FakeAPIServer
    let client: KubeClient

    /// The releases whose HPA storage the write paths are proven on.
    static let releases: [FakeAPIServer.Release] = [.v1_26, .v1_33]

    static func start(release: FakeAPIServer.Release = .v1_33, configurableTolerance: Bool = false, scaleToZero: Bool = false) async throws -> Harness {
        let admission = FakeAPIServer.admission(for: release, configurableTolerance: configurableTolerance, scaleToZero: scaleToZero)
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .milliseconds(200), admit: admission))
        return Harness(server: server, client: KubeClient(config: ClientConfig(server: server.url)))
    }

    private init(server: FakeAPIServer, client: KubeClient) {
        self.server = server
        self.client = client
    }

    /// Starts an operator; the returned task ends when it stops.
    func startOperator(
        style: MetricStyle = .object, leaderElection: LeaderElector.Configuration? = nil, metricsIdleTimeout: Duration = .seconds(120),
        healthProbeBindAddress: String? = nil, releaseLease: @escaping @Sendable () -> Bool = { true }
    ) async -> (Manager, Task<Void, any Error>) {
        let logger = Logger.quiet("operator-test")
        var configuration = Manager.Configuration(
            style: style, leaderElection: leaderElection, metricsBindAddress: "127.0.0.1:0", metricsIdleTimeout: metricsIdleTimeout,
            watchTimeoutSeconds: 30, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(100)))
        configuration.healthProbeBindAddress = healthProbeBindAddress
        let instance = Manager(client: KubeClient(config: ClientConfig(server: server.url)), configuration: configuration, logger: logger)
        let task = Task { try await instance.run(releaseLease: releaseLease) }
        return (instance, task)
    }

    func stop() async {
        await server.stop()
    }

    /// Polls until `condition` holds (60 s at most: a hang bound, never a speed claim).
    func eventually(_ what: String, timeout: Duration = hangBound, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool) async throws {
        if try await !Poll.until(timeout: timeout, condition) { Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation) }
    }

    func hpa(_ name: String, namespace: String = "shop") async -> HorizontalPodAutoscaler? {
        try? await client.get(HorizontalPodAutoscaler.self, namespace: namespace, name: name)
    }

    /// A user's edit of an HPA by merge patch (`kubectl patch`), as it must be made on Kubernetes
    /// 1.26 (and so on the double): carrying `spec.metrics` without the `value: 0` the apiserver
    /// adds to Object AverageValue targets, which any write keeping it is refused for.
    func editHPA(_ name: String, _ patch: String) async throws {
        var metrics = try #require(await hpa(name)?.spec.metrics)
        for index in metrics.indices where metrics[index].object?.target.type == .averageValue { metrics[index].object?.target.value = nil }
        let withMetrics = try JSONValue(parsing: Data(patch.utf8)).mergePatched(with: .object(["spec": .object(["metrics": JSONValue(parsing: JSONEncoder().encode(metrics))])]))
        _ = try await client.patch(HorizontalPodAutoscaler.self, namespace: "shop", name: name, .merge(JSONEncoder().encode(withMetrics)))
    }

    func events(_ name: String, namespace: String = "shop") async throws -> [Event] {
        try await client.list(Event.self, namespace: namespace).items.filter { $0.involvedObject.name == name }
    }

    /// HPA writes in the request log.
    func hpaWrites() async -> [RecordedRequest] {
        await server.requests().filter { $0.path.contains("/horizontalpodautoscalers") && $0.method != "GET" }
    }

    static let annotations = [
        "hpa.autoscaling.banzaicloud.io/minReplicas": "1",
        "hpa.autoscaling.banzaicloud.io/maxReplicas": "10",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": #"sum(rate(http_requests_total{app="shop"}[2m]))"#,
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40000m",
        "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "70",
    ]

    static func deployment(_ name: String, annotations: [String: String]? = Harness.annotations, templateAnnotations: [String: String]? = nil) -> Deployment {
        Deployment(
            metadata: ObjectMeta(name: name, namespace: "shop", labels: ["app": name], annotations: annotations),
            spec: WorkloadSpec(
                replicas: 2, selector: LabelSelector(matchLabels: ["app": name]),
                template: PodTemplate(metadata: ObjectMeta(labels: ["app": name], annotations: templateAnnotations))))
    }
}
