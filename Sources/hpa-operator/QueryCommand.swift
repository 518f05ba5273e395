import ArgumentParser
import Collector
import Foundation
import KubeModel

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one PromQL query exactly as the collector does and print what it would serve.",
        discussion: """
            Prints the value as Prometheus sent it, the Quantity the metrics API serves (rounded to the nearest thousandth) and the sample time. When the collector would refuse the result (no data, more than one series, NaN, a Prometheus error, a timeout), prints that error, word for word as `kubectl describe hpa` would show it, and exits 1.

            This answers "why does my HPA show <unknown>?": copy the query from the HPA's metric-config annotation.

            The query is parsed first, as the operator parses annotations: one that does not parse, or gives a range vector, is refused before Prometheus sees it. With --enforce-namespace-label (and --namespace, the HPA's), the first line is the query as the collector would send it for that namespace ("query: …"); a query that could read another namespace is refused.

            Example: hpa-operator query --prometheus-server http://localhost:9090 'sum(rate(http_requests_total{app="shop"}[2m]))'
            """
    )

    @OptionGroup var prometheus: PrometheusOptions

    @OptionGroup(title: "Tenancy")
    var enforcement: NamespaceEnforcementOptions

    @Option(
        name: [.customShort("n"), .customLong("namespace")],
        help: ArgumentHelp("The namespace of the HPA the query is for: for --enforce-namespace-label and --prometheus-tenant-header.", valueName: "namespace"))
    var namespace: String?

    @Option(help: ArgumentHelp("Evaluate at this instant (RFC 3339 or Unix seconds) instead of now.", valueName: "time"))
    var time: String?

    @Option(help: ArgumentHelp("Divide by this many replicas, as per-replica: \"true\" does.", valueName: "n"))
    var perReplica: Int?

    @Flag(help: "Read the result as a pods metric: one series per pod, by its pod label.")
    var pods = false

    @Option(help: "Give up after this long (Prometheus is told as well).")
    var queryTimeout = GoDuration(.seconds(10))

    @Option(name: .customLong("timeout"), help: deprecatedHelp)
    var deprecatedTimeout: GoDuration?

    @Argument(help: "The PromQL query.")
    var query: String

    mutating func validate() throws {
        queryTimeout = deprecated(deprecatedTimeout, "--timeout", use: "--query-timeout") ?? queryTimeout
        if prometheus.prometheusServer == nil { throw ValidationError("give --prometheus-server URL") }
        if let time, Self.instant(time) == nil { throw ValidationError("--time: '\(time)' is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds of a date between the years 1 and 9999") }
        if let perReplica, perReplica < 0 { throw ValidationError("--per-replica must not be negative") }
        if pods, perReplica != nil { throw ValidationError("--per-replica does not apply to --pods") }
        if namespace == nil, enforcement.enforceNamespaceLabel != nil { throw ValidationError("--enforce-namespace-label needs --namespace: the namespace of the HPA the query is for") }
        if namespace == nil, try prometheus.servers().defaultServer?.tenantHeader != nil {
            throw ValidationError("--prometheus-tenant-header needs --namespace: the namespace of the HPA the query is for")
        }
    }

    func run() async throws {
        guard var server = try prometheus.servers().defaultServer else { throw ExitCode(2) }
        let sent: String
        switch MetricPlanner.checked(query, namespace: namespace ?? "default", enforcement: enforcement.enforcement) {
        case .success(let text): sent = text
        case .failure(let problem):
            printError("error: query: \(problem)")
            throw ExitCode(1)
        }
        if enforcement.enforcement != nil { print("query: \(sent)") }
        if let namespace { server = server.forNamespace(namespace) }
        let client = PrometheusClient(server: server)
        let response: QueryResponse
        do {
            response = try await client.query(sent, at: time.flatMap(Self.instant), timeout: queryTimeout.duration)
        } catch {
            throw fail(.prometheus(error))
        }
        for warning in response.warnings { printError("warning from Prometheus: \(warning)") }
        if pods {
            switch Interpretation.pods(response.result) {
            case .success(let readings):
                for (pod, reading) in readings.sorted(by: { $0.key < $1.key }) {
                    print("\(pod)\t\(reading.value)\t(\(reading.text) at \(Self.format(reading.sampleTime)))")
                }
            case .failure(let error):
                throw fail(error)
            }
            return
        }
        switch Interpretation.single(response.result, perReplica: perReplica, target: "the scale target") {
        case .success(let reading):
            let division = perReplica.map { " / \($0) replicas" } ?? ""
            print("value:    \(reading.text)\(division)")
            print("quantity: \(reading.value)")
            print("time:     \(Self.format(reading.sampleTime))")
        case .failure(let error):
            throw fail(error)
        }
    }

    private func fail(_ error: MetricError) -> ExitCode {
        printError("error: \(error)")
        return ExitCode(1)
    }

    /// RFC 3339, or Unix seconds that RFC 3339 can write (not `1e19`, `NaN` or `inf`).
    static func instant(_ text: String) -> Date? {
        if let seconds = Double(text) { return Timestamp.isRepresentable(seconds) ? Date(timeIntervalSince1970: seconds) : nil }
        return Timestamp.parse(text)
    }

    /// A sample's time as Prometheus sent it; one out of any calendar is said to be so.
    static func format(_ seconds: Double) -> String {
        guard Timestamp.isRepresentable(seconds) else { return "\(seconds) (not a time: out of range)" }
        let unix = seconds == seconds.rounded() ? String(Int64(seconds)) : String(seconds)
        return "\(Timestamp.rfc3339(Date(timeIntervalSince1970: seconds), fractional: seconds != seconds.rounded())) (\(unix))"
    }
}
