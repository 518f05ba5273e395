import KubeModel
import Testing

@testable import Collector

@Suite struct MetricPlanTests {
    static let servers = PrometheusServers(
        defaultServer: PrometheusServer(url: "http://prometheus:9090", bearerTokenFile: "/token"),
        aliases: ["thanos": PrometheusServer(url: "http://thanos:9090")])
    static let settings = CollectionSettings()

    static func hpa(_ annotations: [String: String], metrics: [MetricSpec], target: String = "shop") -> HorizontalPodAutoscaler {
        HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: target, namespace: "prod", annotations: annotations),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: target),
                minReplicas: 1, maxReplicas: 10, metrics: metrics))
    }

    static func object(_ metric: String, kind: String = "Deployment", apiVersion: String = "apps/v1", name: String = "shop", labels: [String: String]? = nil) -> MetricSpec {
        MetricSpec(
            object: ObjectMetricSource(
                describedObject: CrossVersionObjectReference(apiVersion: apiVersion, kind: kind, name: name),
                metric: MetricIdentifier(name: metric, selector: labels.map { LabelSelector(matchLabels: $0) }), target: .value(Quantity(40))))
    }

    static func external(_ metric: String, labels: [String: String]) -> MetricSpec {
        MetricSpec(external: ExternalMetricSource(metric: MetricIdentifier(name: metric, selector: LabelSelector(matchLabels: labels)), target: .averageValue(Quantity(40))))
    }

    static func plan(_ hpa: HorizontalPodAutoscaler) -> MetricPlan {
        MetricPlanner.plan(hpa, servers: servers, settings: settings)
    }

    @Test func objectStyle() throws {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.object.rps.prometheus/query": "sum(rate(x[2m]))",
                    "metric-config.object.rps.prometheus/interval": "15s",
                ], metrics: [Self.object("rps")]))
        #expect(plan.problems.isEmpty)
        let metric = try #require(plan.metrics.first)
        #expect(metric.key == .object(ObjectMetricKey(namespace: "prod", resource: GroupResource(resource: "deployments", group: "apps"), name: "shop", metric: "rps")))
        #expect(metric.query == "sum(rate(x[2m]))")
        #expect(metric.interval == .seconds(15))
        #expect(metric.timeout == .seconds(10))
        #expect(metric.maxAge == .seconds(45))
        #expect(metric.server.url == "http://prometheus:9090")
        #expect(metric.server.bearerTokenFile == "/token")
        #expect(metric.perReplica == nil)
    }

    @Test func podStyleWithPerReplica() throws {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.object.rps.prometheus/query": "sum(x)",
                    "metric-config.object.rps.prometheus/per-replica": "true",
                ], metrics: [Self.object("rps", kind: "Pod", apiVersion: "v1", name: "shop-rps")]))
        let metric = try #require(plan.metrics.first)
        #expect(metric.key == .object(ObjectMetricKey(namespace: "prod", resource: GroupResource(resource: "pods"), name: "shop-rps", metric: "rps")))
        #expect(metric.perReplica == ScaleTarget(namespace: "prod", kind: "Deployment", name: "shop", apiVersion: "apps/v1"))
    }

    @Test func objectSelectorLabelsAreKept() throws {
        let plan = Self.plan(Self.hpa(["metric-config.object.rps.prometheus/query": "x"], metrics: [Self.object("rps", labels: ["tier": "web"])]))
        #expect(plan.metrics.first?.key == .object(ObjectMetricKey(namespace: "prod", resource: GroupResource(parsing: "deployments.apps"), name: "shop", metric: "rps", labels: ["tier": "web"])))
    }

    @Test func banzaiExternalForm() throws {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.external.prometheus-query.prometheus/rps": "sum(rate(x[2m]))",
                    "metric-config.external.prometheus-query.prometheus/prometheus-server": "thanos",
                    "metric-config.external.prometheus-query.prometheus/interval": "1m",
                ], metrics: [Self.external("prometheus-query", labels: ["query-name": "rps"])]))
        let metric = try #require(plan.metrics.first)
        #expect(metric.key == .external(ExternalMetricKey(namespace: "prod", metric: "prometheus-query", labels: ["query-name": "rps"])))
        #expect(metric.query == "sum(rate(x[2m]))")
        #expect(metric.server.url == "http://thanos:9090")
        #expect(metric.interval == .seconds(60))
    }

    @Test func kubeMetricsAdapterExternalForm() throws {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.external.queue-depth.prometheus/query": "max(queue)",
                    "metric-config.external.queue-depth.prometheus/prometheus-server": "http://other:9090",
                ], metrics: [Self.external("queue-depth", labels: ["type": "prometheus"])]))
        // A URL that is not a configured server is refused: an annotation must not make every
        // replica fetch any URL it likes.
        #expect(plan.metrics.isEmpty)
        #expect(
            plan.problems.map(\.description) == [
                "metric-config.external.queue-depth.prometheus/prometheus-server: 'http://other:9090' is not a configured Prometheus server: name the --prometheus-server URL or an alias (thanos), or start the operator with --allow-annotation-prometheus-urls"
            ])
        // With --allow-annotation-prometheus-urls it is used, and gets no credentials.
        var open = Self.servers
        open.allowsAnyURL = true
        let allowed = MetricPlanner.plan(
            Self.hpa(
                [
                    "metric-config.external.queue-depth.prometheus/query": "max(queue)",
                    "metric-config.external.queue-depth.prometheus/prometheus-server": "http://other:9090",
                ], metrics: [Self.external("queue-depth", labels: ["type": "prometheus"])]), servers: open, settings: Self.settings)
        let metric = try #require(allowed.metrics.first)
        #expect(metric.key == .external(ExternalMetricKey(namespace: "prod", metric: "queue-depth", labels: ["type": "prometheus"])))
        #expect(metric.server == PrometheusServer(url: "http://other:9090"))
        // A configured server's URL gets its credentials.
        let configured = Self.plan(
            Self.hpa(
                [
                    "metric-config.object.rps.prometheus/query": "sum(x)",
                    "metric-config.object.rps.prometheus/prometheus-server": "http://prometheus:9090",
                ], metrics: [Self.object("rps")]))
        #expect(configured.metrics.first?.server.bearerTokenFile == "/token")
    }

    @Test func podsForm() throws {
        let pods = MetricSpec(pods: PodsMetricSource(metric: MetricIdentifier(name: "rps"), target: .averageValue(Quantity(5))))
        let plan = Self.plan(Self.hpa(["metric-config.pods.rps.prometheus/query": "sum by (pod) (rate(x[2m]))"], metrics: [pods]))
        #expect(plan.metrics.first?.key == .pods(PodsMetricKey(namespace: "prod", metric: "rps", target: "Deployment/shop")))
    }

    /// A metric whose config is for another of kube-metrics-adapter's collectors is not
    /// collected, and that is said (a warning naming the collector, and the key the metrics API
    /// answers with the same reason); configs no metric uses are ignored.
    @Test func metricsWithoutOurConfigAreNotCollectedAndOtherCollectorsAreNamed() {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.object.rps.json-path/json-key": "$.rps",
                    "metric-config.object.rps.json-path/path": "/metrics",
                    "metric-config.object.unused.prometheus/query": "x",
                ], metrics: [Self.object("rps"), MetricSpec(resource: ResourceMetricSource(name: "cpu", target: .utilization(70)))]))
        #expect(plan.metrics.isEmpty)
        #expect(
            plan.problems.map(\.description) == [
                "metric-config.object.rps.json-path/json-key: hpa-operator does not run kube-metrics-adapter's json-path collector, so metric rps is not served: give it a prometheus query, or leave it to kube-metrics-adapter"
            ])
        #expect(plan.problems.allSatisfy { $0.reason.isWarning })
        #expect(plan.unsupported.values.sorted() == ["json-path"])
    }

    /// kube-metrics-adapter reads `per-replica` by its presence: so do we, and a value that says
    /// otherwise is warned about, not obeyed in silence.
    @Test func perReplicaIsReadByItsPresence() {
        for (value, warned) in [("true", false), ("1", false), ("false", true), ("yes", true), ("", true)] {
            let plan = Self.plan(
                Self.hpa(
                    ["metric-config.object.rps.prometheus/query": "x", "metric-config.object.rps.prometheus/per-replica": value],
                    metrics: [Self.object("rps")]))
            #expect(plan.metrics.first?.perReplica != nil, "\(value)")
            #expect(plan.problems.count == (warned ? 1 : 0), "\(value): \(plan.problems)")
        }
    }

    /// `prometheus-server-alias` (kube-metrics-adapter) names a --prometheus-server-alias;
    /// `prometheus-server` wins when both are given; an unknown name is an error, never the default server.
    @Test func prometheusServerAliasNamesAnAlias() {
        func plan(_ extra: [String: String]) -> MetricPlan {
            Self.plan(Self.hpa(["metric-config.object.rps.prometheus/query": "x"].merging(extra) { $1 }, metrics: [Self.object("rps")]))
        }
        #expect(plan(["metric-config.object.rps.prometheus/prometheus-server-alias": "thanos"]).metrics.first?.server.url == "http://thanos:9090")
        #expect(
            plan([
                "metric-config.object.rps.prometheus/prometheus-server-alias": "thanos",
                "metric-config.object.rps.prometheus/prometheus-server": "http://prometheus:9090",
            ]).metrics.first?.server.url == "http://prometheus:9090")
        let unknown = plan(["metric-config.object.rps.prometheus/prometheus-server-alias": "mimir"])
        #expect(unknown.metrics.isEmpty)
        #expect(unknown.problems.map(\.annotation) == ["metric-config.object.rps.prometheus/prometheus-server-alias"])
    }

    @Test func problemsNameTheAnnotation() {
        let plan = Self.plan(
            Self.hpa(
                [
                    "metric-config.object.a.prometheus/query": "x",
                    "metric-config.object.a.prometheus/interval": "30x",
                    "metric-config.object.b.prometheus/query": "y",
                    "metric-config.object.b.prometheus/prometheus-server": "nope",
                    "metric-config.object.c.prometheus/query": "z",
                    "metric-config.object.c.prometheus/per-replica": "yes",
                    "metric-config.object.d.prometheus/query": " ",
                    "metric-config.object.e.prometheus/query": "w",
                    "metric-config.object.e.prometheus/timeout": "10ms",
                ], metrics: ["a", "b", "c", "d", "e"].map { Self.object($0) }))
        // c is collected (per-replica 'yes' is a warning), the others are not.
        #expect(plan.metrics.map(\.name) == ["c"])
        #expect(
            plan.problems.map(\.description) == [
                "metric-config.object.a.prometheus/interval: '30x' is not a duration (examples: 30s, 1m, 1m30s)",
                "metric-config.object.b.prometheus/prometheus-server: 'nope' is neither an http(s) URL nor a --prometheus-server-alias name (known: thanos)",
                "metric-config.object.c.prometheus/per-replica: 'yes' divides by the scale target's replicas all the same: kube-metrics-adapter reads the key's presence, not its value, and so does hpa-operator; remove the key to serve the total",
                "metric-config.object.d.prometheus/query: the query is empty",
                "metric-config.object.e.prometheus/timeout: '10ms' is shorter than 1s, the least hpa-operator takes (kube-metrics-adapter takes less, but the HPA controller reads metrics every 15s): write 1s or more",
            ])
    }

    @Test func withoutAnyServerTheProblemSaysHowToGiveOne() {
        let plan = MetricPlanner.plan(
            Self.hpa(["metric-config.object.rps.prometheus/query": "x"], metrics: [Self.object("rps")]),
            servers: PrometheusServers(), settings: Self.settings)
        #expect(plan.problems.map(\.reason) == [.noServer])
    }

    @Test func maxAgeFlagOverridesThreeIntervals() {
        let plan = MetricPlanner.plan(
            Self.hpa(["metric-config.object.rps.prometheus/query": "x"], metrics: [Self.object("rps")]),
            servers: Self.servers, settings: CollectionSettings(metricsMaxAge: .seconds(300)))
        #expect(plan.metrics.first?.maxAge == .seconds(300))
    }

    @Test(arguments: [
        ("Deployment", "apps/v1", "deployments.apps"), ("StatefulSet", "apps/v1", "statefulsets.apps"), ("Pod", "v1", "pods"),
        ("Service", "v1", "services"), ("Ingress", "networking.k8s.io/v1", "ingresses.networking.k8s.io"), ("Policy", "x.io/v1", "policies.x.io"),
    ])
    func resourceOfAKind(kind: String, apiVersion: String, resource: String) {
        #expect(GroupResource(kind: kind, apiVersion: apiVersion).description == resource)
        #expect(GroupResource(parsing: resource) == GroupResource(kind: kind, apiVersion: apiVersion))
    }
}
