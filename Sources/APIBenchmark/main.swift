import Autoscaling
import Collector
import Foundation
import KubeModel
import Logging
import MetricsServer
import TestSupport

// `make bench-api`: an Object-metric GET on the metrics API over TLS keep-alive, and the same
// response bytes served as a static file by Debian's nginx over TLS, both loaded by Debian's `wrk`
// (one thread, 8 connections) in the same run. wrk cannot present a client certificate, so the
// metrics API runs with authentication skipped here; the figures are for routing, the store,
// JSON and TLS.

let path = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/shop/deployments.apps/web/rps"
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-api-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func executable(_ name: String) -> String? {
    ["/usr/bin/\(name)", "/usr/sbin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) }
}
guard let wrk = executable("wrk"), let nginx = executable("nginx") else {
    print("bench-api needs Debian's wrk and nginx: apt-get install -y wrk nginx")
    exit(1)
}

// The metrics API with one collected value.
let store = MetricStore()
let key = MetricKey.object(
    ObjectMetricKey(
        namespace: "shop", resource: GroupResource(parsing: "deployments.apps"), name: "web", metric: "rps",
        kind: "Deployment", apiVersion: "apps/v1"))
store.expect(key, source: "bench", maxAge: .seconds(86_400), now: Date())
store.record(key, .success(.value(Quantity(milli: 9_167))), source: "bench", at: Date())
let authority = try TestCertificateAuthority()
let serving = try authority.issueServer()
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let server = MetricsHTTPServer(
    api: MetricsAPI(store: store),
    configuration: MetricsHTTPServer.Configuration(
        host: "127.0.0.1", port: 0, identity: try ServingIdentity(certificatePEM: serving.certificatePEM, keyPEM: serving.keyPEM),
        authentication: .skip),
    metrics: nil, isReady: { true }, logger: quiet)
let running = Task { try await server.run() }
while server.port == nil { try await Task.sleep(for: .milliseconds(10)) }
let apiURL = "https://127.0.0.1:\(server.port!)\(path)"

// nginx serving the same bytes from a file, with the same certificate.
let body = MetricsAPI(store: store).respond(MetricsAPIRequest(path: path), now: Date()).body
try body.write(to: scratch.appendingPathComponent("rps.json"))
try serving.certificatePEM.write(to: scratch.appendingPathComponent("tls.crt"), atomically: true, encoding: .utf8)
try serving.keyPEM.write(to: scratch.appendingPathComponent("tls.key"), atomically: true, encoding: .utf8)
let nginxPort = try freePort()
try """
daemon off;
worker_processes auto;
error_log \(scratch.path)/error.log;
pid \(scratch.path)/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path \(scratch.path);
    proxy_temp_path \(scratch.path);
    fastcgi_temp_path \(scratch.path);
    uwsgi_temp_path \(scratch.path);
    scgi_temp_path \(scratch.path);
    server {
        listen 127.0.0.1:\(nginxPort) ssl;
        ssl_certificate \(scratch.path)/tls.crt;
        ssl_certificate_key \(scratch.path)/tls.key;
        keepalive_requests 1000000;
        location = \(path) { default_type application/json; alias \(scratch.path)/rps.json; }
    }
}
""".write(to: scratch.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
let nginxProcess = Process()
nginxProcess.executableURL = URL(fileURLWithPath: nginx)
nginxProcess.arguments = ["-p", scratch.path, "-c", scratch.appendingPathComponent("nginx.conf").path]
nginxProcess.standardError = FileHandle.nullDevice
try nginxProcess.run()
defer {
    nginxProcess.terminate()
    nginxProcess.waitUntilExit()
}
try await Task.sleep(for: .milliseconds(500))
let nginxURL = "https://127.0.0.1:\(nginxPort)\(path)"

struct Load {
    var requestsPerSecond: Double
    var p50: Double
    var p99: Double
    var errors: Bool
}

/// Runs wrk and reads its summary (`--latency` percentiles in ms).
func load(_ url: String, seconds: Int = 10, connections: Int = 8, script: String? = nil) throws -> Load {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: wrk)
    process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency"] + (script.map { ["-s", $0] } ?? []) + [url]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    func milliseconds(_ token: Substring) -> Double {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
        for (unit, scale) in units where token.hasSuffix(unit) { return (Double(token.dropLast(unit.count)) ?? .nan) * scale }
        return .nan
    }
    var result = Load(requestsPerSecond: .nan, p50: .nan, p99: .nan, errors: text.contains("Non-2xx") || text.contains("Socket errors"))
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if line.hasPrefix("Requests/sec:"), let value = fields.last { result.requestsPerSecond = Double(value) ?? .nan }
        if fields.first == "50%", let value = fields.last { result.p50 = milliseconds(value) }
        if fields.first == "99%", let value = fields.last { result.p99 = milliseconds(value) }
    }
    return result
}

// A paced run: each of 4 connections waits 4 ms between requests, about 1,000 requests/s.
let paced = scratch.appendingPathComponent("paced.lua").path
try "function delay() return 4 end\n".write(toFile: paced, atomically: true, encoding: .utf8)

print("metrics API benchmark: GET \(path) over TLS keep-alive; load from Debian's wrk (1 thread, 8 connections, 10 s)")
_ = try load(apiURL, seconds: 2)  // warm-up
_ = try load(nginxURL, seconds: 2)
let api = try load(apiURL)
let reference = try load(nginxURL)
let apiPaced = try load(apiURL, connections: 4, script: paced)
func line(_ name: String, _ result: Load) -> String {
    let label = ("  " + name + ":").padding(toLength: 24, withPad: " ", startingAt: 0)
    return label + String(format: "%8.0f req/s   p50 %6.3f ms   p99 %6.3f ms", result.requestsPerSecond, result.p50, result.p99) + (result.errors ? "   (errors!)" : "")
}
print(line("metrics API", api))
print(line("nginx, same bytes", reference))
print(String(format: "  ratio:                %.2f of nginx (target ≥ 0.5)", api.requestsPerSecond / reference.requestsPerSecond))
print(line("metrics API, paced", apiPaced) + "   (target p99 ≤ 2 ms at about 1,000 req/s)")

// The admission webhook's own work per AdmissionReview (what it adds to every Deployment write;
// TLS and HTTP framing are the metrics API's, measured above): the real apiserver's bytes for a
// Deployment with our annotations (one invalid), and the same Deployment without them.
let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Tests/Fixtures/admission-review-deployment.json")
let annotated = try Data(contentsOf: fixture)
var plainReview = try JSONSerialization.jsonObject(with: annotated) as! [String: Any]
var request = plainReview["request"] as! [String: Any]
var object = request["object"] as! [String: Any]
var metadata = object["metadata"] as! [String: Any]
metadata["annotations"] = ["team": "shop"]
metadata["managedFields"] = nil
object["metadata"] = metadata
request["object"] = object
plainReview["request"] = request
let plain = try JSONSerialization.data(withJSONObject: plainReview)
let admission = WorkloadAdmission(style: .object, denyInvalid: false)
func timeReviews(_ body: Data, count: Int = 20_000) -> (p50: Double, p99: Double) {
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let started = ContinuousClock.now
        precondition(admission.review(body).status == 200)
        samples.append(Measure.seconds(ContinuousClock.now - started) * 1000)
    }
    samples.sort()
    return (samples[count / 2], samples[count * 99 / 100])
}
_ = timeReviews(annotated, count: 2_000)  // warm-up
let withOurs = timeReviews(annotated)
let withoutOurs = timeReviews(plain)
print(String(format: "  admission, our annotations (%d bytes):   p50 %6.3f ms   p99 %6.3f ms   (target p99 ≤ 2 ms)", annotated.count, withOurs.p50, withOurs.p99))
print(String(format: "  admission, no annotations (%d bytes):    p50 %6.3f ms   p99 %6.3f ms   (target p99 ≤ 0.2 ms)", plain.count, withoutOurs.p50, withoutOurs.p99))
print(String(format: "  peak RSS:             %.1f MB", Measure.peakRSSMegabytes))
running.cancel()
_ = try? await running.value
