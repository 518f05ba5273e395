import Collector
import Foundation
import KubeModel
import Logging
import TestSupport

// `make bench-collector`: one collection round of 1,000 distinct queries against a real
// Prometheus, through the collector's own path (plan → query → interpret → store), compared in
// the same run with one `curl` process fetching the same 1,000 URLs over a keep-alive connection.

let queries = Int(ProcessInfo.processInfo.environment["BENCH_QUERIES"] ?? "") ?? 1_000
let now = Int(Date().timeIntervalSince1970)
var data = "# TYPE bench_requests gauge\n"
for index in 0..<queries {
    data += "bench_requests{app=\"app-\(index)\",pod=\"pod-\(index)\"} \(index) \(now - 30)\n"
    data += "bench_requests{app=\"app-\(index)\",pod=\"pod-\(index)\"} \(index + 1) \(now)\n"
}
let prometheus = try await PrometheusFixture.start(openMetrics: data + "# EOF\n")
defer { prometheus.stop() }

func query(_ index: Int) -> String { "sum(bench_requests{app=\"app-\(index)\"})" }

let hpas = (0..<queries).map { index in
    HorizontalPodAutoscaler(
        metadata: ObjectMeta(name: "app-\(index)", namespace: "bench", annotations: ["metric-config.object.rps.prometheus/query": query(index)]),
        spec: HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "app-\(index)"), minReplicas: 1, maxReplicas: 10,
            metrics: [
                MetricSpec(
                    object: ObjectMetricSource(
                        describedObject: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "app-\(index)"),
                        metric: MetricIdentifier(name: "rps"), target: .value(Quantity(10))))
            ]))
}
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let collection = OneShotCollection(servers: PrometheusServers(defaultServer: PrometheusServer(url: prometheus.url)))

/// One round; returns wall seconds, CPU seconds of this process, and how many values were stored.
func round() async -> (seconds: Double, cpu: Double, values: Int) {
    let cpuBefore = Measure.cpuSeconds
    let started = ContinuousClock.now
    let (_, store) = await collection.collect(hpas, at: nil, logger: quiet)
    let seconds = Measure.seconds(ContinuousClock.now - started)
    let cpu = Measure.cpuSeconds - cpuBefore
    let values = store.snapshot(now: Date()).values.filter { if case .success = $0.outcome { return true } else { return false } }.count
    return (seconds, cpu, values)
}

/// The same 1,000 queries from one curl process, one keep-alive connection.
func curlRound() throws -> Double {
    let config = FileManager.default.temporaryDirectory.appendingPathComponent("bench-curl-\(UUID().uuidString.prefix(8)).txt")
    defer { try? FileManager.default.removeItem(at: config) }
    var lines = ""
    for index in 0..<queries {
        let encoded = query(index).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        lines += "url = \"\(prometheus.url)/api/v1/query?query=\(encoded)\"\noutput = \"/dev/null\"\n"
    }
    try lines.write(to: config, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-s", "-K", config.path]
    let started = ContinuousClock.now
    try process.run()
    process.waitUntilExit()
    return Measure.seconds(ContinuousClock.now - started)
}

print("collector benchmark: \(queries) distinct queries against Prometheus on loopback (best of 3 rounds each, after a warm-up)")
let rssBefore = Measure.currentRSSMegabytes
_ = await round()  // warm-up: connections, code paths
let rssAfter = Measure.currentRSSMegabytes
Measure.returnFreedMemory()
print(String(format: "  RSS: %.1f MB before the first round, %.1f MB after it (peak %.1f MB), %.1f MB after malloc_trim", rssBefore, rssAfter, Measure.peakRSSMegabytes, Measure.currentRSSMegabytes))
_ = try curlRound()
var best = (seconds: Double.infinity, cpu: 0.0, values: 0)
var curlBest = Double.infinity
for _ in 0..<3 {
    let measured = await round()
    if measured.seconds < best.seconds { best = measured }
    curlBest = min(curlBest, try curlRound())
}
print(String(format: "  collector round:   %.3f s (%d of %d values stored)", best.seconds, best.values, queries))
print(String(format: "  curl keep-alive:   %.3f s", curlBest))
print(String(format: "  ratio:             %.2f (target ≤ 1.1)", best.seconds / curlBest))
print(String(format: "  CPU per round:     %.3f s, %.2f %% of a core at a 30 s interval (target ≤ 25 %%)", best.cpu, best.cpu / 30 * 100))
print(String(format: "  peak RSS:          %.1f MB", Measure.peakRSSMegabytes))
