import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Logging
import Operator
import TestSupport

// `make bench-operator`: the operator against the apiserver double, which runs in a child process
// (this binary with `serve`) so that the peak RSS printed is the operator's own.

if CommandLine.arguments.dropFirst().first == "serve" {
    let server = try await FakeAPIServer.start(FakeAPIServer.Options(eventWindow: 50_000, admit: FakeAPIServer.kubernetesAdmission))
    FileHandle.standardOutput.write(Data((server.url + "\n").utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
}

// `memory URL`: a fresh process that only runs the operator until it is synced and idle, then
// prints its peak RSS in MB.
if CommandLine.arguments.dropFirst().first == "memory", let url = CommandLine.arguments.dropFirst(2).first {
    /// Runs an operator until synced and idle; returns RSS figures. The operator and its caches are
    /// gone when this returns.
    func operatorMemory() async throws -> (baseline: Double, synced: Double, settled: Double, trimmed: Double, hpaCache: Double) {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        let instance = Manager(
            client: KubeClient(config: ClientConfig(server: url)),
            configuration: Manager.Configuration(metricsBindAddress: nil), logger: quiet)
        let running = Task { try await instance.run() }
        let baseline = Measure.currentRSSMegabytes
        while !instance.isReady { try await Task.sleep(for: .milliseconds(20)) }
        let synced = Measure.currentRSSMegabytes
        let hpaCache = Double(instance.cache.hpas.cachedBytes) / 1_048_576
        try await Task.sleep(for: .seconds(3))
        let settled = Measure.currentRSSMegabytes
        // How much of that is memory already freed but kept by malloc (fragmentation, arenas).
        Measure.returnFreedMemory()
        let trimmed = Measure.currentRSSMegabytes
        await instance.shutdown()
        _ = try? await running.value
        return (baseline, synced, settled, trimmed, hpaCache)
    }
    let figures = try await operatorMemory()
    // With the operator and its caches gone, what is left is not theirs.
    try await Task.sleep(for: .milliseconds(500))
    Measure.returnFreedMemory()
    FileHandle.standardOutput.write(
        Data(
            String(
                format:
                    "%.1f MB peak, %.1f MB now, %.1f MB after malloc_trim, %.1f MB once the operator is gone (%.1f MB at start, %.1f MB when the caches synced; the HPA cache holds %.1f MB of JSON)\n",
                Measure.peakRSSMegabytes, figures.settled, figures.trimmed, Measure.currentRSSMegabytes, figures.baseline, figures.synced, figures.hpaCache
            ).utf8))
    exit(0)
}

struct LoggedRequest: Decodable {
    var method: String
    var path: String
    var watch: Bool
    var query: String
    var time: Double
}
struct RequestLog: Decodable { var requests: [LoggedRequest] }

// The double, in its own process.
let child = Process()
child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
child.arguments = ["serve"]
let pipe = Pipe()
child.standardOutput = pipe
try child.run()
defer { child.terminate() }
var urlLine = Data()
while !urlLine.contains(UInt8(ascii: "\n")) { urlLine.append(pipe.fileHandleForReading.availableData) }
let url = String(decoding: urlLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
let http = HTTPClient()
let client = KubeClient(config: ClientConfig(server: url))
func requestLog() async throws -> [LoggedRequest] {
    try JSONDecoder().decode(RequestLog.self, from: try await http.send(HTTPRequest(url: url + "/fake/requests", timeout: .seconds(120))).body).requests
}
func clearLog() async throws { _ = try await http.send(HTTPRequest(method: "POST", url: url + "/fake/clear")) }
struct Count: Decodable { var count: Int }
func hpaCount() async throws -> Int {
    try JSONDecoder().decode(Count.self, from: try await http.send(HTTPRequest(url: url + "/fake/count?group=autoscaling&plural=horizontalpodautoscalers")).body).count
}

let first = Int(ProcessInfo.processInfo.environment["BENCH_DEPLOYMENTS"] ?? "") ?? 5000
func annotated(_ index: Int, max: Int = 10) -> Deployment {
    Deployment(
        metadata: ObjectMeta(
            name: "web-\(index)", namespace: "ns-\(index % 50)", labels: ["app": "web-\(index)"],
            annotations: [
                "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "\(max)",
                "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "sum(rate(http_requests_total{app=\"web-\(index)\"}[2m]))",
                "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue": "40",
            ]),
        spec: WorkloadSpec(replicas: 2, selector: LabelSelector(matchLabels: ["app": "web-\(index)"])))
}
func seed(_ range: Range<Int>) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<8 {
            group.addTask { for index in stride(from: range.lowerBound + lane, to: range.upperBound, by: 8) { _ = try await client.create(annotated(index)) } }
        }
        try await group.waitForAll()
    }
}

print("hpa-operator bench-operator: apiserver double in a child process (plain HTTP, 127.0.0.1), \(ProcessInfo.processInfo.activeProcessorCount) cores")
try await seed(0..<first)
try await clearLog()

// 1. Start to HPAs.
var logger = Logger(label: "bench")
logger.logLevel = .critical
let instance = Manager(
    client: KubeClient(config: ClientConfig(server: url)),
    configuration: Manager.Configuration(metricsBindAddress: nil), logger: logger)
let started = ContinuousClock.now
let running = Task { try await instance.run() }
while try await hpaCount() < first { try await Task.sleep(for: .milliseconds(50)) }
let toHPAs = Measure.seconds(ContinuousClock.now - started)
var log = try await requestLog().filter { !$0.path.hasPrefix("/fake") }
let operatorLists = log.filter { $0.method == "GET" && !$0.watch }
let writes = log.filter { $0.path.contains("horizontalpodautoscalers") && $0.method != "GET" }
print(
    String(
        format: "start to HPAs:   %d HPAs in %.2f s; %d HPA writes (%.2f per HPA) after %d GETs and list pages", first, toHPAs, writes.count, Double(writes.count) / Double(first), operatorLists.count)
)

// 2. Annotation edit to HPA write, the operator otherwise idle, once the initial sync's events
// (one HPACreated per HPA, sent after the HPAs) are all written; then again while status-only
// updates arrive at 1,000/s. Edits are merge patches, so the churn cannot make them conflict.
while try await client.list(Event.self, namespace: nil).items.count < first { try await Task.sleep(for: .milliseconds(100)) }
/// Edits web-0…199 to `maxReplicas` and gives the edit → operator write latencies (ms), from
/// the double's request log.
func editLatencies(maxReplicas: Int) async throws -> [Double] {
    try await clearLog()
    var edits: [(name: String, at: Double)] = []
    for index in 0..<200 {
        let patch = #"{"metadata":{"annotations":{"hpa.autoscaling.banzaicloud.io/maxReplicas":"\#(maxReplicas)"}}}"#
        _ = try await client.patch(Deployment.self, namespace: "ns-\(index % 50)", name: "web-\(index)", .merge(Data(patch.utf8)))
        edits.append(("web-\(index)", Date().timeIntervalSince1970))
        try await Task.sleep(for: .milliseconds(20))
    }
    try await Task.sleep(for: .seconds(1))
    let writeLog = try await requestLog()
    return edits.compactMap { edit in
        writeLog.first { $0.method == "PATCH" && $0.path.hasSuffix("/horizontalpodautoscalers/\(edit.name)") && $0.time >= edit.at - 0.05 }
            .map { max(0, $0.time - edit.at) * 1000 }
    }
}
func printEdits(_ latencies: [Double], _ condition: String) {
    print(
        String(format: "edit to write:   p50 %.1f ms, p99 %.1f ms over %d edits, ", Measure.percentile(latencies, 0.5), Measure.percentile(latencies, 0.99), latencies.count)
            + condition + " (targets: p50 <= 20 ms, p99 <= 100 ms)")
}
printEdits(try await editLatencies(maxReplicas: 20), "otherwise idle")
let churn = StatusChurn(client: KubeClient(config: client.config), workloads: (0..<first).map { ObjectKey(namespace: "ns-\($0 % 50)", name: "web-\($0)") }, perSecond: 1000)
let underChurn = try await editLatencies(maxReplicas: 30)
let churned = await churn.stop()
printEdits(underChurn, String(format: "while %.0f status-only updates/s arrive (1,000 asked", churned.perSecond) + churned.failures + ")")

// 3. Status-only churn.
try await clearLog()
for index in 0..<10_000 {
    var workload = try await client.get(Deployment.self, namespace: "ns-\(index % first % 50)", name: "web-\(index % first)")
    workload.status = WorkloadStatus(replicas: Int32(index % 7 + 1))
    _ = try await client.updateStatus(workload)
}
try await Task.sleep(for: .seconds(2))
let churnWrites = try await requestLog().filter { $0.path.contains("horizontalpodautoscalers") && $0.method != "GET" }.count
print("status churn:    \(churnWrites) HPA writes after 10000 status-only updates (target: 0)")

// 4. Memory with 10,000 Deployments and HPAs cached, in a fresh operator process.
try await seed(first..<(2 * first))
while try await hpaCount() < 2 * first { try await Task.sleep(for: .milliseconds(200)) }
await instance.shutdown()
_ = try? await running.value
let rss = try Measure.runSelf(["memory", url])
print("peak RSS:        \(rss) for a fresh operator process with \(2 * first) Deployments and \(2 * first) HPAs cached (target <= 60 MB)")
print(String(format: "(this benchmark process, which also seeded and read the request log: %.1f MB)", Measure.peakRSSMegabytes))
