import ArgumentParser
import Collector
import Foundation
import KubeClient
import KubeModel
import MetricsServer
import Operator

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify an install: for pipelines that install hpa-operator, and the chart's `helm test`.",
        discussion: """
            One line per check, ✔ or ✘ with what was found and what to do: each metrics APIService is Available; the operator Deployment is rolled out; a leader holds its Lease; Prometheus answers a trivial query (with --prometheus-server); each metrics API group serves discovery through the aggregator; and with --workload NS/NAME, that workload's HPA exists and the HPA controller reads its metrics. Exit code 0 only when every check passes.

            --wait retries every 2 seconds until all pass or the time is up, then prints the last round.

            Example: hpa-operator check --prometheus-server http://prometheus.monitoring:9090 --workload shop/web --wait 2m
            """
    )

    @OptionGroup var cluster: KubeconfigOptions

    @Option(help: "Namespace of the operator (default: the pod's namespace in a cluster, else hpa-operator-system).")
    var operatorNamespace: String?

    @Option(help: "Name of the operator's Deployment.")
    var operatorDeployment = "hpa-operator"

    @Option(help: ArgumentHelp("Name of the leader election Lease (run's --leader-elect-resource-name); empty skips the check (no --leader-elect).", valueName: "name"))
    var leaderElectResourceName = "hpa-operator"

    @Option(name: .customLong("lease"), help: deprecatedHelp)
    var deprecatedLease: String?

    @Option(help: ArgumentHelp("An APIService to check (repeatable; default: all three).", valueName: "name"))
    var apiservice: [String] = []

    @OptionGroup(title: "Prometheus (checked when --prometheus-server is given)")
    var prometheus: PrometheusOptions

    @Option(help: ArgumentHelp("Also check this workload's HPA: it exists and has current metrics.", valueName: "namespace/name"))
    var workload: String?

    @Option(help: "Retry until every check passes, for up to this long (0: once).")
    var wait = WaitDuration()

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text (one line per check) or json.")
    var output: OutputFormat = .text

    mutating func validate() throws {
        leaderElectResourceName = deprecated(deprecatedLease, "--lease", use: "--leader-elect-resource-name") ?? leaderElectResourceName
        try OutputFormat.check(output, among: [.text, .json])
        if let workload, workload.split(separator: "/").count != 2 { throw ValidationError("--workload: give NAMESPACE/NAME, got '\(workload)'") }
        if let unknown = apiservice.first(where: { !APIServiceCABundle.names.contains($0) }) {
            throw ValidationError("--apiservice: '\(unknown)' is not one hpa-operator serves (\(APIServiceCABundle.names.joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let config: ClientConfig
        do {
            config = try cluster.load()
        } catch {
            printError("error: cannot configure the Kubernetes client: \(error)")
            throw ExitCode(1)
        }
        let client = KubeClient(config: config)
        let namespace = operatorNamespace ?? config.podNamespace ?? "hpa-operator-system"
        let servers = try prometheus.servers()
        let deadline = ContinuousClock.now + wait.duration
        var results = await gather(client, namespace: namespace, prometheus: servers.defaultServer)
        while results.contains(where: { !$0.ok }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(2))
            results = await gather(client, namespace: namespace, prometheus: servers.defaultServer)
        }
        switch output {
        case .text, .yaml:
            for result in results { print(result.line) }
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
        if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// One round of every check.
    private func gather(_ client: KubeClient, namespace: String, prometheus server: PrometheusServer?) async -> [InstallChecks.Result] {
        let names = apiservice.isEmpty ? APIServiceCABundle.names : apiservice
        var results: [InstallChecks.Result] = []
        for name in names {
            results.append(InstallChecks.apiService(name, await read { try await client.get(APIService.self, namespace: nil, name: name) }))
        }
        results.append(
            InstallChecks.rollout(
                namespace: namespace, name: operatorDeployment,
                await read { try await client.get(Deployment.self, namespace: namespace, name: operatorDeployment) }))
        if !leaderElectResourceName.isEmpty {
            let name = leaderElectResourceName
            results.append(InstallChecks.leader(namespace: namespace, name: name, await read { try await client.get(Lease.self, namespace: namespace, name: name) }, now: Date()))
        }
        if let server {
            var failure: String?
            do throws(PrometheusError) {
                _ = try await PrometheusClient(server: server).query("vector(1)", timeout: .seconds(10))
            } catch {
                failure = error.description
            }
            results.append(InstallChecks.prometheus(server.url, error: failure))
        }
        for name in names {
            // v1beta2.custom.metrics.k8s.io serves custom.metrics.k8s.io/v1beta2.
            guard let dot = name.firstIndex(of: ".") else { continue }
            let groupVersion = "\(name[name.index(after: dot)...])/\(name[..<dot])"
            results.append(
                InstallChecks.discovery(
                    groupVersion,
                    await read {
                        let body = try await client.raw("GET", "/apis/\(groupVersion)")
                        do { return try JSONDecoder().decode(APIResourceList.self, from: body).resources.count } catch {
                            throw KubeError.decoding("the answer is not an APIResourceList")
                        }
                    }))
        }
        if let workload {
            let parts = workload.split(separator: "/").map(String.init)
            results.append(InstallChecks.workload(workload, await read { try await client.get(HorizontalPodAutoscaler.self, namespace: parts[0], name: parts[1]) }))
        }
        return results
    }

    private func read<T>(_ operation: () async throws -> T) async -> InstallChecks.Read<T> {
        do {
            return .success(try await operation())
        } catch KubeError.notFound(let status) {
            return .failure(InstallChecks.ReadError(status.message ?? "not found", notFound: true))
        } catch {
            return .failure(InstallChecks.ReadError("\(error)"))
        }
    }
}

/// `check --wait`: a Go duration, where 0 (or 0s, the default) means one round.
struct WaitDuration: ExpressibleByArgument {
    var duration = Duration.zero

    init() {}

    init?(argument: String) {
        guard let duration = try? Duration(parsingGo: argument), duration >= .zero else { return nil }
        self.duration = duration
    }

    var defaultValueDescription: String { PrometheusClient.goDuration(duration) }
}
