import Foundation
import KubeClient
import KubeModel
import TestSupport

// `make bench-cluster`: the operator (release build, in its network namespace, with config/default's
// flags and ServiceAccount) against the real kube-apiserver v1.26 (no controller manager: nothing
// here needs pods). For each size N: N annotated Deployments are stored, the same N HPAs are
// created directly over 4 keep-alive connections (the floor), then the operator is started and
// timed to all N HPAs; then annotation edits are timed to their HPA writes, idle and under status
// churn. Last, the whole `run` process's memory with 10,000 workloads, HPAs and distinct queries
// collected from Debian's Prometheus every 30 s, beside the same process writing the HPAs, with
// them in place but no queries, and without workloads, which say where the memory goes.

let sizes = (ProcessInfo.processInfo.environment["BENCH_CLUSTER_SIZES"] ?? "2000,5000").split(separator: ",").compactMap { Int($0) }
/// Extra `run` flags for experiments, e.g. BENCH_OPERATOR_ARGS="--workers=8".
let extraArguments = (ProcessInfo.processInfo.environment["BENCH_OPERATOR_ARGS"] ?? "").split(separator: " ").map(String.init)
let namespaces = 50
/// The size of the whole-process memory run (P6), 0 to leave it out.
let memorySize = Int(ProcessInfo.processInfo.environment["BENCH_CLUSTER_MEMORY_SIZE"] ?? "") ?? 10_000
let domain = "hpa.autoscaling.banzaicloud.io"

func annotations(_ index: Int, max: Int = 10) -> [String: String] {
    [
        "\(domain)/minReplicas": "1", "\(domain)/maxReplicas": "\(max)",
        "prometheus.rps.\(domain)/query": "sum(rate(http_requests_total{app=\"web-\(index)\"}[2m]))",
        "prometheus.rps.\(domain)/targetAverageValue": "40",
    ]
}

func deployment(_ index: Int) -> Data {
    let object: [String: Any] = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web-\(index)", "namespace": "ns-\(index % namespaces)", "annotations": annotations(index)],
        "spec": [
            "replicas": 1, "selector": ["matchLabels": ["app": "web-\(index)"]],
            "template": ["metadata": ["labels": ["app": "web-\(index)"]], "spec": ["containers": [["name": "app", "image": "registry.k8s.io/pause:3.9"]]]],
        ],
    ]
    return try! JSONSerialization.data(withJSONObject: object)
}

/// The HPA the operator writes for web-i (object style), in the floor's namespaces.
func floorHPA(_ index: Int) -> Data {
    let target: [String: Any] = ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web-\(index)"]
    let object: [String: Any] = [
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": [
            "name": "web-\(index)", "namespace": "floor-\(index % namespaces)",
            "annotations": ["metric-config.object.rps.prometheus/query": "sum(rate(http_requests_total{app=\"web-\(index)\"}[2m]))"],
        ],
        "spec": [
            "scaleTargetRef": target, "minReplicas": 1, "maxReplicas": 10,
            "metrics": [["type": "Object", "object": ["describedObject": target, "metric": ["name": "rps"], "target": ["type": "AverageValue", "averageValue": "40"]]]],
        ],
    ]
    // Unescaped slashes: the body is also sent as an apply patch, which is YAML, and YAML has no `\/`.
    return try! JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
}

/// An HPACreated Event for web-i, as the operator records it.
func floorEvent(_ index: Int) -> Data {
    let involved: [String: Any] = ["apiVersion": "apps/v1", "kind": "Deployment", "namespace": "floor-\(index % namespaces)", "name": "web-\(index)"]
    let object: [String: Any] = [
        "apiVersion": "v1", "kind": "Event", "metadata": ["name": "web-\(index).floor", "namespace": "floor-\(index % namespaces)"],
        "involvedObject": involved, "reason": "HPACreated", "message": "Created HorizontalPodAutoscaler web-\(index) (min 1, max 10)", "type": "Normal",
        "source": ["component": "hpa-operator"], "firstTimestamp": Timestamp.rfc3339(Date()), "lastTimestamp": Timestamp.rfc3339(Date()), "count": 1,
    ]
    return try! JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
}

/// Runs `work` for indexes in `range` over `lanes` concurrent requests (one keep-alive connection each).
func inLanes(_ range: Range<Int>, lanes: Int = 4, _ work: @escaping @Sendable (Int) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<lanes {
            group.addTask { for index in stride(from: range.lowerBound + lane, to: range.upperBound, by: lanes) { try await work(index) } }
        }
        try await group.waitForAll()
    }
}

/// P6: `run` with `size` annotated Deployments, their HPAs, and one distinct query each that the
/// collector runs every 30 s against Debian's Prometheus (scraping `size` series): its peak RSS
/// after two rounds, beside the same process writing the HPAs (no queries), with the HPAs in
/// place (caches only), and watching an empty namespace (the runtime, libraries and threads), so
/// the differences say where the memory goes.
func wholeProcessMemory(plane: ControlPlane, size: Int, stored: Int, install: ControlPlane.Installation) async throws {
    try await inLanes(stored..<size, lanes: 8) { index in
        _ = try await plane.admin.raw("POST", "/apis/apps/v1/namespaces/ns-\(index % namespaces)/deployments", body: deployment(index))
    }
    // No HPAs yet, so the first process writes all of them.
    for index in 0..<namespaces {
        _ = try await plane.admin.raw("DELETE", "/apis/autoscaling/v2/namespaces/ns-\(index)/horizontalpodautoscalers")
    }
    let exporter = try await MetricsExporter.start()
    for index in 0..<size { exporter.set("http_requests_total", ["app": "web-\(index)"], to: Double(index)) }
    let prometheus = try await ClusterPrometheus.start(
        host: plane.network.hostAddress, scrapeTargets: [exporter.target],
        in: plane.directory.appendingPathComponent("prometheus"), reaper: plane.reaper)
    /// Runs `run` with `arguments` until `settled`, then gives its RSS (MB) now, at its peak, and
    /// now split into anonymous and file pages.
    func rss(_ name: String, _ arguments: [String], settled: (OperatorProcess) async throws -> Bool) async throws -> (now: Double, peak: Double, anonymous: Double, file: Double) {
        let process = try OperatorProcess(name: name, plane: plane, arguments: arguments)
        // Every half second: each look scrapes the measured process's /metrics.
        guard try await Poll.until(timeout: .seconds(300), every: .milliseconds(500), { try await settled(process) }) else {
            await process.stop()
            throw ControlPlaneError("\(name) did not settle\n\(process.process.logTail())")
        }
        let parts = Measure.residentParts(of: process.process.pid)
        let figures = (Measure.currentRSSMegabytes(of: process.process.pid), Measure.peakRSSMegabytes(of: process.process.pid), parts.anonymous, parts.file)
        await process.stop()
        return figures
    }
    let server = "--prometheus-server=\(prometheus.url)"
    let queries = "hpa_operator_collector_query_duration_seconds_count"
    func settledSoonAfterReady(_ process: OperatorProcess) async throws -> Bool {
        guard await process.isReady else { return false }
        try await Task.sleep(for: .seconds(5))
        return true
    }
    // The initial sync alone: N HPAs written (and their Events), nothing collected.
    let sync = try await rss("memory-sync", install.runArguments + extraArguments) { process in
        (await process.sample("hpa_operator_hpa_writes_total") ?? 0) >= Double(size)
    }
    let started = ContinuousClock.now
    let whole = try await rss("memory-whole", install.runArguments + [server] + extraArguments) { process in
        // Two rounds of every query (30 s apart, plus jitter).
        (await process.sample(queries) ?? 0) >= Double(2 * size)
    }
    let rounds = Measure.seconds(ContinuousClock.now - started)
    let cachesOnly = try await rss("memory-caches", install.runArguments + extraArguments, settled: settledSoonAfterReady)
    _ = try await plane.admin.raw("POST", "/api/v1/namespaces", body: Data(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"empty"}}"#.utf8))
    let empty = try await rss("memory-empty", install.runArguments + ["--watch-namespace=empty", server] + extraArguments, settled: settledSoonAfterReady)
    print(
        String(
            format:
                "N = %d, whole run process, HPAs in place, %d queries every 30 s (two rounds in %.0f s): peak RSS %.1f MB, %.1f MB at the end (target <= 64 MB); writing the %d HPAs at the start, without queries: peak %.1f MB",
            size, size, rounds, whole.peak, whole.now, size, sync.peak))
    for (label, figures) in [("whole", whole), ("writing the HPAs, no queries", sync), ("HPAs in place, no queries", cachesOnly), ("no workloads", empty)] {
        print(
            "N = \(size), \(label): "
                + String(
                    format: "RSS at the end %.1f MB = %.1f MB anonymous (heap, stacks) + %.1f MB file pages (the binary's code, shared libraries)",
                    figures.now, figures.anonymous, figures.file))
    }
    print(
        String(
            format:
                "N = %d, where it goes (peaks): %.1f MB the process itself (no workloads), +%.1f MB informer caches (%.1f MB with HPAs in place, no queries), +%.1f MB collector and metrics API with %d queries",
            size, empty.peak, cachesOnly.peak - empty.peak, cachesOnly.peak, whole.peak - cachesOnly.peak, size))
    await prometheus.stop()
    await exporter.stop()
}

print("hpa-operator bench-cluster: real kube-apiserver v1.26.1 + etcd, operator in a network namespace, \(ProcessInfo.processInfo.activeProcessorCount) cores")
var options = ControlPlane.Options()
options.controllers = false
let plane = try await ControlPlane.start(options: options)
do {
    let client = plane.admin
    let install = try await plane.installConfigDefault(prometheus: nil)
    for index in 0..<namespaces {
        for name in ["ns-\(index)", "floor-\(index)"] {
            _ = try await client.raw("POST", "/api/v1/namespaces", body: Data(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(name)"}}"#.utf8))
        }
    }
    var stored = 0
    for size in sizes {
        // N Deployments stored, no HPAs yet.
        try await inLanes(stored..<size, lanes: 8) { index in
            _ = try await client.raw("POST", "/apis/apps/v1/namespaces/ns-\(index % namespaces)/deployments", body: deployment(index))
        }
        stored = max(stored, size)
        for index in 0..<namespaces {
            _ = try await client.raw("DELETE", "/apis/autoscaling/v2/namespaces/ns-\(index)/horizontalpodautoscalers")
        }

        // The floor: the same N HPAs created directly over 4 keep-alive connections.
        let floorStarted = ContinuousClock.now
        try await inLanes(0..<size) { index in
            _ = try await client.raw("POST", "/apis/autoscaling/v2/namespaces/floor-\(index % namespaces)/horizontalpodautoscalers", body: floorHPA(index))
        }
        let floor = Measure.seconds(ContinuousClock.now - floorStarted)
        for index in 0..<namespaces {
            _ = try await client.raw("DELETE", "/apis/autoscaling/v2/namespaces/floor-\(index)/horizontalpodautoscalers")
        }
        // The same N HPAs server-side applied (forced, as the operator applies a change).
        let applyStarted = ContinuousClock.now
        try await inLanes(0..<size) { index in
            _ = try await client.raw(
                "PATCH", "/apis/autoscaling/v2/namespaces/floor-\(index % namespaces)/horizontalpodautoscalers/web-\(index)",
                query: [("fieldManager", "floor"), ("force", "true")], body: floorHPA(index), contentType: "application/apply-patch+yaml")
        }
        let applyFloor = Measure.seconds(ContinuousClock.now - applyStarted)
        for index in 0..<namespaces {
            _ = try await client.raw("DELETE", "/apis/autoscaling/v2/namespaces/floor-\(index)/horizontalpodautoscalers")
        }
        // The operator's own protocol for a new HPA, over the same 4 connections: the create
        // (POST) and its HPACreated Event.
        let protocolStarted = ContinuousClock.now
        try await inLanes(0..<size) { index in
            _ = try await client.raw("POST", "/apis/autoscaling/v2/namespaces/floor-\(index % namespaces)/horizontalpodautoscalers", query: [("fieldManager", "floor")], body: floorHPA(index))
            _ = try await client.raw("POST", "/api/v1/namespaces/floor-\(index % namespaces)/events", body: floorEvent(index))
        }
        let protocolFloor = Measure.seconds(ContinuousClock.now - protocolStarted)
        for index in 0..<namespaces {
            _ = try await client.raw("DELETE", "/apis/autoscaling/v2/namespaces/floor-\(index)/horizontalpodautoscalers")
            _ = try await client.raw("DELETE", "/api/v1/namespaces/floor-\(index)/events")
        }

        // The operator, started on N Deployments, timed to its N HPAs (watched as they appear).
        let writesBefore = plane.auditedHPAWrites().filter { $0.user == ControlPlane.operatorUser }.count
        let list = try await client.list(HorizontalPodAutoscaler.self, options: ListOptions(limit: 1))
        let watch = try await client.watch(
            HorizontalPodAutoscaler.self, options: WatchOptions(resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 600, labelSelector: "app.kubernetes.io/managed-by=hpa-operator"))
        let started = ContinuousClock.now
        let process = try OperatorProcess(name: "operator-\(size)", plane: plane, arguments: install.runArguments + extraArguments)
        var seen = Set<String>()
        var iterator = watch.makeAsyncIterator()
        while seen.count < size, let event = try await iterator.next() {
            if case .added(let hpa) = event, let name = hpa.metadata.name { seen.insert("\(hpa.metadata.namespace ?? "")/\(name)") }
        }
        let toHPAs = Measure.seconds(ContinuousClock.now - started)
        // Every write is in the audit log by the time the apiserver answered it.
        try await Task.sleep(for: .seconds(2))
        let writes = plane.auditedHPAWrites().filter { $0.user == ControlPlane.operatorUser }.count - writesBefore
        print(
            String(
                format:
                    "N = %d: operator start to all HPAs %.2f s (%.0f/s), %d HPA writes (%.2f per HPA); floors over 4 connections: %d creates %.2f s (%.0f/s), %d applies %.2f s (%.0f/s), %d creates + Events %.2f s; ratio %.2f to creates (target <= 1.5), %.2f to applies, %.2f to creates + Events",
                size, toHPAs, Double(size) / toHPAs, writes, Double(writes) / Double(size), size, floor, Double(size) / floor, size, applyFloor, Double(size) / applyFloor,
                size, protocolFloor, toHPAs / floor, toHPAs / applyFloor, toHPAs / protocolFloor))

        // Annotation edit to HPA write, the operator otherwise idle, then while status-only
        // updates of the N Deployments arrive at 1,000/s.
        /// Edit → HPA write latencies (ms), and the edits' own PATCH round trips: the apiserver's part.
        func editLatencies(maxReplicas: Int, _ iterator: inout AsyncThrowingStream<WatchEvent<HorizontalPodAutoscaler>, any Error>.Iterator) async throws -> (total: [Double], patch: [Double]) {
            var latencies: (total: [Double], patch: [Double]) = ([], [])
            for edit in 0..<200 {
                let index = edit * (size / 200)
                let sent = ContinuousClock.now
                let patch = #"{"metadata":{"annotations":{"\#(domain)/maxReplicas":"\#(maxReplicas)"}}}"#
                _ = try await client.raw("PATCH", "/apis/apps/v1/namespaces/ns-\(index % namespaces)/deployments/web-\(index)", body: Data(patch.utf8), contentType: "application/merge-patch+json")
                latencies.patch.append(Measure.seconds(ContinuousClock.now - sent) * 1000)
                while let event = try await iterator.next(isolation: #isolation) {
                    if case .modified(let hpa) = event, hpa.metadata.name == "web-\(index)", hpa.spec.maxReplicas == Int32(maxReplicas) { break }
                }
                latencies.total.append(Measure.seconds(ContinuousClock.now - sent) * 1000)
            }
            return latencies
        }
        func printEdits(_ latencies: (total: [Double], patch: [Double]), _ condition: String) {
            print(
                String(
                    format: "N = %d: edit to HPA write p50 %.1f ms, p99 %.1f ms over %d edits, ", size, Measure.percentile(latencies.total, 0.5), Measure.percentile(latencies.total, 0.99),
                    latencies.total.count)
                    + condition
                    + String(
                        format: " (targets: p50 <= 20 ms, p99 <= 100 ms; the edit's own PATCH: p50 %.1f ms, p99 %.1f ms)", Measure.percentile(latencies.patch, 0.5),
                        Measure.percentile(latencies.patch, 0.99)))
        }
        printEdits(try await editLatencies(maxReplicas: 20 + size, &iterator), "otherwise idle")
        let churn = StatusChurn(client: KubeClient(config: client.config), workloads: (0..<size).map { ObjectKey(namespace: "ns-\($0 % namespaces)", name: "web-\($0)") }, perSecond: 1000)
        let underChurn = try await editLatencies(maxReplicas: 30 + size, &iterator)
        let churned = await churn.stop()
        printEdits(underChurn, String(format: "while %.0f status-only updates/s arrive (1,000 asked", churned.perSecond) + churned.failures + ")")
        // `ip netns exec` execs the operator, so the child's pid is the operator's.
        print(
            String(
                format: "N = %d: the run process's RSS %.1f MB at the end, %.1f MB at its peak (N workloads and HPAs cached; no Prometheus here, so no queries)",
                size, Measure.currentRSSMegabytes(of: process.process.pid), Measure.peakRSSMegabytes(of: process.process.pid)))
        await process.stop()
    }
    if memorySize > 0 {
        try await wholeProcessMemory(plane: plane, size: memorySize, stored: stored, install: install)
    }
} catch {
    print("bench-cluster failed: \(error)\n\(plane.logs())")
    await plane.stop()
    exit(1)
}
await plane.stop()
