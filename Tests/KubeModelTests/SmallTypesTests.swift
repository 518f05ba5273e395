import Testing

@testable import KubeModel

@Suite("Durations and metric-config keys")
struct SmallTypesTests {
    @Test(arguments: [("30s", 30.0), ("1m", 60), ("1.5h", 5400), ("1m30s", 90), ("500ms", 0.5), ("0", 0), ("2h45m", 9900), ("100us", 0.0001)])
    func goDurations(text: String, seconds: Double) throws {
        #expect(abs(try Duration(parsingGo: text).seconds - seconds) < 1e-9)
    }

    @Test(arguments: ["", "30", "5x", "1m30", "s", "1.2.3s", "1 m", "99999999999h"])
    func badDurations(text: String) {
        #expect(throws: DurationParseError(text: text)) { try Duration(parsingGo: text) }
    }

    @Test func metricConfigKeysParseAndPrint() throws {
        let key = try #require(MetricConfigKey(parsing: "metric-config.object.rps.prometheus/query"))
        #expect(key == MetricConfigKey(type: .object, metric: "rps", key: "query"))
        #expect(key.description == "metric-config.object.rps.prometheus/query")
        let external = try #require(MetricConfigKey(parsing: "metric-config.external.prometheus-query.prometheus/customMetricName"))
        #expect(external.metric == "prometheus-query" && external.key == "customMetricName")
        let dotted = try #require(MetricConfigKey(parsing: "metric-config.pods.queue.length.prometheus/query"))
        #expect(dotted.metric == "queue.length" && dotted.type == .pods)
        for bad in [
            "metric-config.object.rps/query", "metric-config.nodes.x.prometheus/query", "prometheus.io/scrape", "metric-config.object..prometheus/query", "metric-config.object.rps.prometheus/",
            "plain",
        ] {
            #expect(MetricConfigKey(parsing: bad) == nil, "\(bad)")
        }
    }
}
