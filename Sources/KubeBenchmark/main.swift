import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import TestSupport

// `make bench-kube`: the Kubernetes client against the apiserver double over TLS, on loopback.
// The double runs in this process, so the peak RSS counts it too.

let count = Int(ProcessInfo.processInfo.environment["BENCH_DEPLOYMENTS"] ?? "") ?? 10_000
let ca = try TestCertificateAuthority()
let serving = try ca.issueServer()
let server = try await FakeAPIServer.start(
    FakeAPIServer.Options(
        security: .tls(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM), eventWindow: count * 2))
let config = ClientConfig(server: server.url, tls: TLSOptions(certificateAuthority: .pem(Data(try ca.certificatePEM.utf8))))
let writer = KubeClient(config: config)
print("hpa-operator bench-kube: \(count) Deployments, apiserver double over TLS on 127.0.0.1, \(ProcessInfo.processInfo.activeProcessorCount) cores")

// Seed: creates from 8 concurrent writers.
let startVersion = try await writer.list(Deployment.self).metadata?.resourceVersion
let seedStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for lane in 0..<8 {
        group.addTask {
            for index in stride(from: lane, to: count, by: 8) {
                _ = try await writer.create(
                    Deployment(
                        metadata: ObjectMeta(
                            name: "web-\(index)", namespace: "ns-\(index % 50)", labels: ["app": "web-\(index)"],
                            annotations: ["hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "10"]),
                        spec: WorkloadSpec(replicas: 2, selector: LabelSelector(matchLabels: ["app": "web-\(index)"]))))
            }
        }
    }
    try await group.waitForAll()
}
let seed = Measure.seconds(ContinuousClock.now - seedStart)
print(String(format: "seed:            %d creates in %.2f s (%.0f/s, 8 writers)", count, seed, Double(count) / seed))

// List + sync: an informer from start to hasSynced (pages of 500).
let informer = Informer<Deployment>(client: KubeClient(config: config))
let syncStart = ContinuousClock.now
let running = Task { await informer.run() }
await informer.waitForSync()
let sync = Measure.seconds(ContinuousClock.now - syncStart)
print(String(format: "list + sync:     %.3f s for %d Deployments (%d cached)", sync, count, informer.count))
running.cancel()
await running.value

// Watch throughput: replay every create since before the seed.
let watcher = KubeClient(config: config)
let watchStart = ContinuousClock.now
var events = 0
for try await event in try await watcher.watch(Deployment.self, options: WatchOptions(resourceVersion: startVersion, timeoutSeconds: 600, allowBookmarks: false)) {
    if case .added = event { events += 1 }
    if events == count { break }
}
let watch = Measure.seconds(ContinuousClock.now - watchStart)
print(String(format: "watch:           %d events in %.3f s (%.0f events/s)", events, watch, Double(events) / watch))

// Keep-alive: handshakes for 1,000 sequential requests with a fresh client. It names the server
// `localhost` so that no connection pooled by the phases above can be reused: one handshake is expected.
var fresh = config
fresh.server = server.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
let sequential = KubeClient(config: fresh)
let getStart = ContinuousClock.now
for index in 0..<1000 {
    _ = try await sequential.get(Deployment.self, namespace: "ns-\(index % 50)", name: "web-\(index)")
}
let gets = Measure.seconds(ContinuousClock.now - getStart)
print(String(format: "sequential GETs: 1000 in %.3f s (%.0f/s), TLS handshakes: %d", gets, 1000 / gets, sequential.connectionsOpened))
print(String(format: "peak RSS:        %.1f MB (client and in-process apiserver double together)", Measure.peakRSSMegabytes))
await server.stop()
