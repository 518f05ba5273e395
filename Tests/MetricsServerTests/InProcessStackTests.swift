import Autoscaling
import Collector
import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Logging
import MetricsServer
import Operator
import TestSupport
import Testing

/// The whole product in one process: the apiserver double, a real Prometheus, the operator, the
/// collector and the metrics API. An annotated Deployment becomes an HPA, its query is collected,
/// and the metrics API answers with Prometheus's number in the shape the HPA controller reads.
@Suite struct InProcessStackTests {
    static let annotations = [
        "hpa.autoscaling.banzaicloud.io/minReplicas": "1",
        "hpa.autoscaling.banzaicloud.io/maxReplicas": "10",
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": #"sum(shop_rps{app="shop"})"#,
        "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "2",
    ]

    static func data(endingAt end: Int) -> String {
        """
        # TYPE shop_rps gauge
        shop_rps{app="shop",pod="web-1"} 5.833333333333333 \(end)
        shop_rps{app="shop",pod="web-2"} 3.333333333333333 \(end)
        # EOF

        """
    }

    /// Where each style's HPA reads the metric, and the value it must get (9.1666… requests/s;
    /// the pod style divides by the Deployment's 2 replicas, as per-replica says).
    static let expectations: [(MetricStyle, String, String)] = [
        (.object, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/deployments.apps/web/rps", "9167m"),
        (.objectOnWorkloadPod, "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/pods/web-rps/rps", "4583m"),
        (.external, "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/prometheus-query?labelSelector=hpa-operator%2Fworkload%3Dweb%2Cquery-name%3Drps", "9167m"),
    ]

    @Test(arguments: expectations.indices)
    func anAnnotatedDeploymentIsServedOnTheMetricsAPI(_ index: Int) async throws {
        let (style, path, expected) = Self.expectations[index]
        let apiserver = try await FakeAPIServer.start(FakeAPIServer.Options(bookmarkInterval: .milliseconds(200), admit: FakeAPIServer.kubernetesAdmission))
        let prometheus = try await PrometheusFixture.start(openMetrics: Self.data(endingAt: Int(Date().timeIntervalSince1970)))
        let client = KubeClient(config: ClientConfig(server: apiserver.url))
        let logger = Logger.quiet("e2e")
        let backoff = Backoff(initial: .milliseconds(5), maximum: .milliseconds(100))
        let instance = Manager(client: client, configuration: Manager.Configuration(style: style, metricsBindAddress: nil, watchTimeoutSeconds: 30, backoff: backoff), logger: logger)
        let collector = Collector(
            client: client,
            configuration: Collector.Configuration(servers: PrometheusServers(defaultServer: PrometheusServer(url: prometheus.url)), backoff: backoff),
            logger: logger, sharing: instance.cache.hpas)
        let requestheaderCA = try TestCertificateAuthority(commonName: "front-proxy CA")
        let (identity, servingCA) = try ServingIdentity.selfSigned(names: ["localhost"])
        let server = MetricsHTTPServer(
            api: MetricsAPI(store: collector.store),
            configuration: MetricsHTTPServer.Configuration(
                host: "127.0.0.1", port: 0, identity: identity,
                authentication: .requestHeader(
                    try ClientCertificateAuthorities(
                        pem: try requestheaderCA.certificatePEM, authentication: RequestHeaderAuthentication(allowedNames: ["front-proxy-client"])))),
            metrics: MetricsAPIMetrics(registry: instance.metrics.registry), isReady: { collector.hasSynced }, logger: logger)
        let tasks = [Task { try await instance.run() }, Task { try await collector.run() }, Task { try await server.run() }]

        var deployment = try await client.create(
            Deployment(
                metadata: ObjectMeta(name: "web", namespace: "shop", annotations: Self.annotations),
                spec: WorkloadSpec(replicas: 2, selector: LabelSelector(matchLabels: ["app": "web"]))))
        deployment.status = WorkloadStatus(replicas: 2)
        _ = try await client.updateStatus(deployment)

        let aggregator = try requestheaderCA.issueClient(commonName: "front-proxy-client")
        let http = HTTPClient(
            configuration: HTTPClientConfiguration(
                tls: TLSOptions(
                    certificateAuthority: .pem(Data(servingCA.utf8)), clientCertificate: .pem(Data(aggregator.certificatePEM.utf8)),
                    clientKey: .pem(Data(aggregator.keyPEM.utf8)))))
        // What the HPA controller sends, through the aggregator.
        let headers = [
            ("Accept", "application/vnd.kubernetes.protobuf, */*"), ("X-Remote-User", "system:serviceaccount:kube-system:horizontal-pod-autoscaler"),
            ("X-Remote-Group", "system:serviceaccounts"),
        ]
        var last: HTTPResponse?
        _ = try await Poll.until(timeout: .seconds(60), every: .milliseconds(100)) {
            guard let port = server.port else { return false }
            last = try? await http.send(HTTPRequest(url: "https://127.0.0.1:\(port)\(path)", headers: headers, timeout: .seconds(5)))
            return last?.status == 200
        }
        let response = try #require(last)
        #expect(response.status == 200, "\(response.bodyText)")
        let list = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        let item = try #require((list["items"] as? [[String: Any]])?.first)
        #expect(item["value"] as? String == expected)
        let timestamp = try #require(item["timestamp"] as? String)
        let collectedAt = try #require(ISO8601DateFormatter().date(from: timestamp))
        #expect(abs(collectedAt.timeIntervalSinceNow) < 30)
        switch style {
        case .object:
            #expect(item["describedObject"] as? [String: String] == ["kind": "Deployment", "namespace": "shop", "name": "web", "apiVersion": "apps/v1"])
            #expect((item["metric"] as? [String: Any])?["name"] as? String == "rps")
        case .objectOnWorkloadPod:
            #expect(item["describedObject"] as? [String: String] == ["kind": "Pod", "namespace": "shop", "name": "web-rps", "apiVersion": "v1"])
        case .external:
            #expect(item["metricName"] as? String == "prometheus-query")
            #expect(item["metricLabels"] as? [String: String] == ["query-name": "rps", "hpa-operator/workload": "web"])
        }

        await instance.shutdown()
        for task in tasks { task.cancel() }
        for task in tasks { _ = try? await task.value }
        prometheus.stop()
        await apiserver.stop()
    }
}
