import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import TestSupport
import Testing

@Suite("hpa-operator run")
struct RunCommandTests {
    @Test func sigtermReleasesTheLeaseAndExitsZero() async throws {
        let server = try await FakeAPIServer.start(FakeAPIServer.Options(admit: FakeAPIServer.kubernetesAdmission))
        defer { Task { await server.stop() } }
        let prometheus = try await PrometheusFixture.start(openMetrics: "")
        defer { prometheus.stop() }
        let client = KubeClient(config: ClientConfig(server: server.url))
        _ = try await client.create(
            Deployment(
                metadata: ObjectMeta(
                    name: "web", namespace: "shop",
                    annotations: [
                        "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "3",
                        "cpu.hpa.autoscaling.banzaicloud.io/targetAverageUtilization": "60",
                        "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "vector(3)",
                        "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetValue": "10",
                    ]),
                spec: WorkloadSpec(replicas: 1)))
        // Another team's Deployment, scaled by an HPA of their own that a stranger may not learn of.
        let ledger = [
            "hpa.autoscaling.banzaicloud.io/minReplicas": "1", "hpa.autoscaling.banzaicloud.io/maxReplicas": "3",
            "prometheus.rps.hpa.autoscaling.banzaicloud.io/query": "vector(3)", "prometheus.rps.hpa.autoscaling.banzaicloud.io/targetValue": "10",
        ]
        _ = try await client.create(Deployment(metadata: ObjectMeta(name: "ledger", namespace: "billing", annotations: ledger), spec: WorkloadSpec(replicas: 1)))
        _ = try await client.create(
            HorizontalPodAutoscaler(
                metadata: ObjectMeta(name: "secret-billing-hpa", namespace: "billing"),
                spec: HorizontalPodAutoscalerSpec(scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "ledger"), minReplicas: 1, maxReplicas: 5)))
        let kubeconfig = try CLI.kubeconfig(server: server.url)
        let caOut = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString.prefix(8)).pem").path
        defer { try? FileManager.default.removeItem(atPath: caOut) }
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = [
            "run", "--kubeconfig", kubeconfig, "--leader-elect", "--leader-elect-resource-namespace", "ops",
            "--metrics-bind-address", "127.0.0.1:0", "--log-format", "json", "--prometheus-server", prometheus.url, "--secure-port", "0",
            "--secure-bind-address", "127.0.0.1", "--tls-ca-out", caOut, "--insecure-disable-authentication", "--admission-webhook",
        ]
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        // It leads, and writes the HPA.
        let led = try await Poll.until {
            let leader = try? await client.get(Lease.self, namespace: "ops", name: "hpa-operator").spec?.holderIdentity
            let hpa = try? await client.get(HorizontalPodAutoscaler.self, namespace: "shop", name: "web")
            return leader?.isEmpty == false && hpa != nil
        }
        #expect(led, "no leader and HPA")
        // The embedded collector runs the query the HPA's annotations name.
        #expect(try await Poll.until { try await prometheus.queryRequests() >= 1 })

        // The metrics API is served over TLS with the generated certificate, whose CA was written out.
        var port: Int?
        _ = try await Poll.until {
            port = try String(contentsOf: errors, encoding: .utf8).split(separator: "\n").first { $0.contains("\"message\":\"serving the metrics API\"") }?
                .split(separator: "\"").first { $0.hasPrefix("127.0.0.1:") }?.split(separator: ":").last.flatMap { Int($0) }
            return port != nil
        }
        let apiPort = try #require(port)
        let ca = try String(contentsOfFile: caOut, encoding: .utf8)
        let api = HTTPClient(configuration: HTTPClientConfiguration(tls: TLSOptions(certificateAuthority: .pem(Data(ca.utf8)))))
        let discovery = try await api.send(HTTPRequest(url: "https://localhost:\(apiPort)/apis/custom.metrics.k8s.io/v1beta2"))
        #expect(discovery.status == 200)
        #expect(discovery.bodyText.contains("deployments.apps/rps"))
        // The webhook answers anyone (the apiserver brings no credentials), from the request alone:
        // asked about billing/ledger, it says nothing of the HPA in the way there.
        let object = try JSONEncoder().encode(Deployment(metadata: ObjectMeta(name: "ledger", namespace: "billing", annotations: ledger), spec: WorkloadSpec(replicas: 1)))
        let review =
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"apps","version":"v1","kind":"Deployment"},"namespace":"billing","name":"ledger","operation":"UPDATE","object":"#
            + String(decoding: object, as: UTF8.self) + "}}"
        let answer = try await api.send(HTTPRequest(method: "POST", url: "https://localhost:\(apiPort)/validate-workload", body: Data(review.utf8)))
        #expect(answer.status == 200 && answer.bodyText.contains(#""allowed":true"#), "\(answer.bodyText)")
        #expect(!answer.bodyText.contains("secret-billing-hpa") && !answer.bodyText.contains("warnings"), "\(answer.bodyText)")

        // /metrics carries the per-metric signals: vector(3) against a Value target of 10 on one
        // replica proposes 1.
        var metricsPort: Int?
        _ = try await Poll.until {
            metricsPort = try String(contentsOf: errors, encoding: .utf8).split(separator: "\n").first {
                $0.contains("\"message\":\"serving \\/metrics and probes\"") || $0.contains("\"message\":\"serving /metrics and probes\"")
            }?
            .split(separator: "\"").first { $0.hasPrefix("127.0.0.1:") }?.split(separator: ":").last.flatMap { Int($0) }
            return metricsPort != nil
        }
        let plain = HTTPClient()
        let scrapeURL = "http://127.0.0.1:\(try #require(metricsPort))/metrics"
        let signalled = try await Poll.until {
            let text = (try? await plain.send(HTTPRequest(url: scrapeURL)))?.bodyText ?? ""
            return text.contains(#"hpa_operator_metric_value{namespace="shop",hpa="web",metric="rps"} 3"#)
                && text.contains(#"hpa_operator_metric_proposed_replicas{namespace="shop",hpa="web",metric="rps"} 1"#)
        }
        #expect(signalled, "no per-metric signals on /metrics")

        // One cache per kind for the whole process (the operator, the collector and the zero
        // scaler read the same informers): one list and one watch each.
        let requests = await server.requests()
        for resource in ["deployments", "statefulsets", "horizontalpodautoscalers"] {
            let lists = requests.filter { $0.method == "GET" && $0.path.hasSuffix("/\(resource)") }
            #expect(lists.filter(\.isWatch).count == 1 && lists.filter { !$0.isWatch }.count == 1, "\(resource): \(lists.map(\.query))")
        }

        kill(process.processIdentifier, SIGTERM)
        // A stop takes well under a second; the bound only tells a hang from a loaded machine.
        #expect(try await Poll.until { !process.isRunning }, "still running \(hangBound) after SIGTERM")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try await client.get(Lease.self, namespace: "ops", name: "hpa-operator").spec?.holderIdentity == "")

        // The log is one JSON object per line, with time, level and message.
        let lines = try String(contentsOf: errors, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["time"] != nil && object?["level"] != nil && object?["message"] != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"message\":\"released the lease\"") })
    }

    /// Also with every optional part running (the Alertmanager poller and receiver): each must
    /// end on SIGTERM, or the service group waits for it forever (the poller once did).
    @Test(arguments: [false, true])
    func sigtermBeforeTheInformersSyncedStillExitsPromptly(withAlertmanager: Bool) async throws {
        let kubeconfig = try CLI.manifest(
            """
            clusters: [{name: down, cluster: {server: "http://127.0.0.1:9"}}]
            contexts: [{name: down, context: {cluster: down}}]
            current-context: down
            """, name: "kubeconfig")
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["run", "--kubeconfig", kubeconfig, "--metrics-bind-address", "127.0.0.1:0", "--secure-port", "0"]
        if withAlertmanager {
            let token = try CLI.manifest("secret-token", name: "token")
            process.arguments! += ["--alertmanager-url", "http://127.0.0.1:9", "--alertmanager-bind-address", "127.0.0.1:0", "--alertmanager-token-file", token]
        }
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        // Signalled once it runs (its first failed list is logged from inside the service group,
        // after the signal handlers are in place), not after a fixed sleep: a loaded machine took
        // longer than 700 ms to get there, and the signal then ended the process unhandled.
        _ = try await Poll.until { !process.isRunning || ((try? String(contentsOf: errors, encoding: .utf8)) ?? "").contains("list/watch failed") }
        kill(process.processIdentifier, SIGTERM)
        _ = try await Poll.until { !process.isRunning }
        // SIGKILL: a process that ignores SIGTERM would ignore another one too.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "killed: still running \(hangBound) after SIGTERM")
        let log = try String(contentsOf: errors, encoding: .utf8)
        #expect(log.contains("warning hpa-operator: list/watch failed; retrying with backoff error=\"connection refused to 127.0.0.1:9"))
        #expect(log.contains("resource=deployments"))
    }

    @Test func aBadKubeconfigIsAClearError() async throws {
        let path = try CLI.manifest("clusters: [", name: "kubeconfig")
        let result = try await CLI.run(["run", "--kubeconfig", path, "--metrics-bind-address", ""])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot configure the Kubernetes client"))
        #expect(result.stderr.contains("kubeconfig \(path): line "))
    }

    /// Old spellings that manifests may carry still start the command, each with a warning.
    @Test func deprecatedSpellingsStillWork() async throws {
        let result = try await CLI.run([
            "run", "--kubeconfig", "/nonexistent/kubeconfig", "--metrics-bind-address", "", "--namespace", "shop",
            "--leader-elect", "--leader-elect-namespace", "ops", "--leader-elect-id", "mine", "--authentication-skip",
        ])
        #expect(result.status == 1 && result.stderr.contains("cannot configure the Kubernetes client"), "\(result.stderr)")
        for (old, new) in [
            ("--namespace", "--watch-namespace"), ("--leader-elect-namespace", "--leader-elect-resource-namespace"),
            ("--leader-elect-id", "--leader-elect-resource-name"), ("--authentication-skip", "--insecure-disable-authentication"),
        ] {
            #expect(result.stderr.contains("warning: \(old) is deprecated; use \(new)"), "\(old)")
        }
        let help = try await CLI.run(["run", "--help"])
        #expect(!help.stdout.contains("--authentication-skip") && !help.stdout.contains("--leader-elect-id"))
    }
}

@Suite("hpa-operator run: ports it cannot bind")
struct RunPortTests {
    /// A restarted process whose port the old one still holds must not run on without probes or
    /// /metrics: it ends at once, saying why, with a non-zero exit.
    @Test(arguments: ["--metrics-bind-address", "--secure-port"])
    func aPortInUseEndsTheProcessWithTheReason(_ flag: String) async throws {
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        let holder = try SilentServer()
        let kubeconfig = try CLI.kubeconfig(server: server.url)
        let busy = flag == "--metrics-bind-address"
        let arguments = [
            "run", "--kubeconfig", kubeconfig, "--secure-bind-address", "127.0.0.1", "--insecure-disable-authentication",
            "--metrics-bind-address", busy ? "127.0.0.1:\(holder.port)" : "127.0.0.1:0", "--secure-port", busy ? "0" : "\(holder.port)",
        ]
        // Bounded only against a hang: it must end by itself.
        let result = try await CLI.run(arguments, timeout: hangBound)
        #expect(result.status != 0)
        #expect(result.stderr.contains("address already in use"), "\(result.stderr.suffix(600))")
    }
}
