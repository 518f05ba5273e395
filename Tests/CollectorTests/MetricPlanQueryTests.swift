import KubeModel
import PromQL
import Testing

@testable import Collector

/// The queries of metric-config annotations: parsed before Prometheus sees them, rewritten into
/// the HPA's namespace under --enforce-namespace-label, and sent with the tenant's header.
@Suite struct MetricPlanQueryTests {
    static let query = "metric-config.object.rps.prometheus/query"

    static func plan(
        _ query: String, settings: CollectionSettings = CollectionSettings(), servers: PrometheusServers = MetricPlanTests.servers,
        namespace: String = "prod"
    ) -> MetricPlan {
        var hpa = MetricPlanTests.hpa([Self.query: query], metrics: [MetricPlanTests.object("rps")])
        hpa.metadata.namespace = namespace
        return MetricPlanner.plan(hpa, servers: servers, settings: settings)
    }

    @Test func aQueryThatDoesNotParseIsAProblemNamingTheAnnotationAndColumn() {
        let plan = Self.plan("sum(rate(x[5m]) + )")
        #expect(plan.metrics.isEmpty)
        #expect(plan.problems.map(\.description) == [#"metric-config.object.rps.prometheus/query: unexpected ")" at column 19, expected an expression"#])
        #expect(
            Self.plan("x[5m]").problems.map(\.description) == [
                "metric-config.object.rps.prometheus/query: the query gives a range vector, not one number at column 1: wrap it in a function such as rate(…[5m]) or max_over_time(…[5m])"
            ])
    }

    @Test func withoutEnforcementTheQueryIsSentAsWritten() throws {
        let written = #"sum(rate(http_requests_total{app="shop"}[2m]))  # requests"#
        #expect(try #require(Self.plan(written).metrics.first).query == written)
    }

    @Test func withEnforcementTheQueryIsRewrittenIntoTheHPAsNamespace() throws {
        let settings = CollectionSettings(enforcement: NamespaceEnforcement(label: "namespace", exempt: ["monitoring"]))
        let metric = try #require(Self.plan(#"sum(rate(http_requests_total{app="shop"}[2m]))"#, settings: settings).metrics.first)
        #expect(metric.query == #"sum(rate(http_requests_total{app="shop", namespace="prod"}[2m]))"#)
        let refused = Self.plan(#"sum(payments_total{namespace="team-b"})"#, settings: settings)
        #expect(refused.metrics.isEmpty)
        #expect(refused.problems.first?.description.hasPrefix(#"metric-config.object.rps.prometheus/query: the matcher namespace="team-b" could select series of namespaces other than prod"#) == true)
        let exempt = try #require(Self.plan(#"sum(up{namespace=~".+"})"#, settings: settings, namespace: "monitoring").metrics.first)
        #expect(exempt.query == #"sum(up{namespace=~".+"})"#)
    }

    @Test func theTenantHeaderCarriesTheNamespaceToItsServerOnly() throws {
        var mimir = PrometheusServer(url: "http://mimir:8080/prometheus", tenantHeader: "X-Scope-OrgID")
        mimir.headers = [PrometheusServer.Field(name: "X-Scope-OrgID", value: "overridden")]
        let servers = PrometheusServers(defaultServer: PrometheusServer(url: "http://prometheus:9090"), aliases: ["mimir": mimir])
        var hpa = MetricPlanTests.hpa([Self.query: "sum(x)", "metric-config.object.rps.prometheus/prometheus-server": "mimir"], metrics: [MetricPlanTests.object("rps")])
        hpa.metadata.namespace = "team-a"
        let metric = try #require(MetricPlanner.plan(hpa, servers: servers, settings: CollectionSettings()).metrics.first)
        #expect(metric.server.headers == [PrometheusServer.Field(name: "X-Scope-OrgID", value: "team-a")])
        let plain = try #require(Self.plan("sum(x)", servers: servers).metrics.first)
        #expect(plain.server.headers.isEmpty)
    }
}
