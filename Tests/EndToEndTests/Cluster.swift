import Foundation
import HTTPTransport
import KubeClient
import KubeModel
import Synchronization
import TestSupport
import Testing

/// The real-control-plane suite's world, started once for the whole suite (envtest's pattern plus
/// kube-controller-manager, so the real HPA controller reads our metrics API):
///
/// - `ControlPlane`: etcd, kube-apiserver with the aggregator, kube-controller-manager (HPA sync
///   every 2 s), on the host side of a network namespace made for this run.
/// - A `MetricsExporter` the tests set values on, scraped every second by a real Prometheus.
/// - `config/default` installed with `kubectl apply -k`, as a user would; the Service's Endpoints
///   point into the network namespace, where `hpa-operator run` runs with the arguments of
///   config/default's Deployment and the ServiceAccount's own token, so every scenario also proves
///   that its RBAC is enough.
/// - A kubelet stand-in marking pods Running and Ready (there is no kubelet).
///
/// Tests reach it through `Cluster.current`. Everything is torn down after the suite, and a
/// watchdog (`Reaper`) does it should the test process die.
final class Cluster: Sendable {
    @TaskLocal static var shared: Cluster?
    static var current: Cluster {
        get throws { try #require(shared, "the real-cluster suite runs inside ClusterScope") }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let operatorNamespace = ControlPlane.operatorNamespace
    static let operatorUser = ControlPlane.operatorUser

    let plane: ControlPlane
    let exporter: MetricsExporter
    let prometheus: ClusterPrometheus
    let kubelet: KubeletStandIn
    /// What `kubectl apply -k config/default` printed.
    let installOutput: String
    /// `run`'s arguments from config/default's Deployment, with the Prometheus URL filled in and
    /// the ServiceAccount's kubeconfig added.
    let operatorArguments: [String]
    /// Running operator processes by name, with the flags that replaced config/default's.
    private let operators: Mutex<[String: (process: OperatorProcess, overrides: [String])]>
    private let everyOperator: Mutex<[OperatorProcess]>
    /// While a restarted apiserver's RBAC caches fill, it refuses requests it will soon allow:
    /// such refusals are not RBAC gaps.
    private let apiserverRestarts: Mutex<[ClosedRange<Date>]>
    var client: KubeClient { plane.admin }

    static func start() async throws -> Cluster {
        // OwnerReferencesPermissionEnforcement, as OpenShift and hardened clusters run it: setting
        // blockOwnerDeletion needs update on the owner's finalizers.
        var options = ControlPlane.Options()
        options.admissionPlugins = ["OwnerReferencesPermissionEnforcement"]
        let plane = try await ControlPlane.start(options: options)
        do {
            let exporter = try await MetricsExporter.start()
            let prometheus = try await ClusterPrometheus.start(
                host: plane.network.hostAddress, scrapeTargets: [exporter.target],
                in: plane.directory.appendingPathComponent("prometheus"), reaper: plane.reaper)
            let kubelet = KubeletStandIn(client: plane.admin, excluded: [operatorNamespace])
            let install = try await plane.installConfigDefault(prometheus: prometheus.url)
            let cluster = Cluster(
                plane: plane, exporter: exporter, prometheus: prometheus, kubelet: kubelet,
                installOutput: install.output, operatorArguments: install.runArguments)
            try await cluster.startOperator("operator-a")
            try await cluster.waitForAPIServices()
            return cluster
        } catch {
            let logs = plane.logs()
            await plane.stop()
            throw ControlPlaneError("\(error)\n\n\(logs)")
        }
    }

    private init(plane: ControlPlane, exporter: MetricsExporter, prometheus: ClusterPrometheus, kubelet: KubeletStandIn, installOutput: String, operatorArguments: [String]) {
        self.plane = plane
        self.exporter = exporter
        self.prometheus = prometheus
        self.kubelet = kubelet
        self.installOutput = installOutput
        self.operatorArguments = operatorArguments
        operators = Mutex([:])
        everyOperator = Mutex([])
        apiserverRestarts = Mutex([])
    }

    /// Stops and starts kube-apiserver; refusals until `settled` returns are not counted as RBAC gaps.
    func restartAPIServer(settled: () async throws -> Void) async throws {
        let stopped = Date()
        await plane.stopAPIServer()
        try await plane.startAPIServer()
        try await settled()
        apiserverRestarts.withLock { $0.append(stopped...Date()) }
    }

    func stop() async {
        for running in operators.withLock({ Array($0.values) }) { await running.process.stop() }
        kubelet.stop()
        await prometheus.stop()
        await exporter.stop()
        await plane.stop()
    }

    // MARK: Operator processes

    /// Starts `hpa-operator run` with config/default's arguments, `overrides` replacing the flags
    /// they name, and waits until it is ready.
    @discardableResult
    func startOperator(_ name: String, overrides: [String] = []) async throws -> OperatorProcess {
        let replaced = Set(overrides.map { $0.split(separator: "=").first.map(String.init) ?? $0 })
        let arguments = operatorArguments.filter { !replaced.contains($0.split(separator: "=").first.map(String.init) ?? $0) } + overrides
        return try await startOperator(name, arguments: arguments, overrides: overrides)
    }

    /// Starts `hpa-operator run` with exactly these arguments (another install's, such as the
    /// Helm chart's) and waits until it is ready.
    @discardableResult
    func startOperator(_ name: String, arguments: [String], overrides: [String]? = nil) async throws -> OperatorProcess {
        let process = try OperatorProcess(name: name, plane: plane, arguments: arguments)
        operators.withLock { $0[name] = (process, overrides ?? arguments) }
        everyOperator.withLock { $0.append(process) }
        try await eventually("\(name) to be ready", timeout: .seconds(60)) { await process.isReady }
        return process
    }

    func operatorProcess(_ name: String) throws -> OperatorProcess {
        try #require(operators.withLock { $0[name]?.process }, "no operator process \(name)")
    }

    func stopAllOperators() async {
        for name in operators.withLock({ Array($0.keys) }) { await stopOperator(name) }
    }

    func stopOperator(_ name: String, kill: Bool = false) async {
        guard let process = operators.withLock({ $0.removeValue(forKey: name)?.process }) else { return }
        if kill { await process.kill() } else { await process.stop() }
    }

    /// Makes `operator-a` the one running operator, leading, with `overrides` (restarting it if it
    /// runs with other flags, or beside another replica).
    func useOperator(overrides: [String] = []) async throws {
        let running = operators.withLock { $0 }
        if running.count == 1, running["operator-a"]?.overrides == overrides { return }
        await stopAllOperators()
        let process = try await startOperator("operator-a", overrides: overrides)
        try await eventually("operator-a to lead") { await process.sample("hpa_operator_is_leader") == 1 }
    }

    /// Every operator log line the apiserver refused for lack of RBAC (outside apiserver restarts).
    func forbiddenLines() -> [String] {
        let restarts = apiserverRestarts.withLock { $0 }
        let format = ISO8601DateFormatter()
        return everyOperator.withLock { $0 }.flatMap { process in
            ((try? String(contentsOf: process.process.logFile, encoding: .utf8)) ?? "").split(separator: "\n").filter { line in
                guard line.contains("HTTP 403") || line.localizedCaseInsensitiveContains("forbidden") else { return false }
                let time = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["time"] as? String
                guard let at = time.flatMap(format.date(from:)) else { return true }
                // Log times have whole seconds.
                return !restarts.contains { $0.lowerBound.addingTimeInterval(-1) <= at && at <= $0.upperBound.addingTimeInterval(1) }
            }.map(String.init)
        }
    }

    /// The running operators' recent log lines, for failure messages.
    func operatorLogs() -> String {
        operators.withLock { $0.values.map { $0.process.process.logTail(3000) } }.joined(separator: "\n\n")
    }

    // MARK: Waiting

    /// Waits for `condition`; on timeout the test fails with what the operator and the control
    /// plane logged. Bounds are generous: they only stop a hang from passing.
    func eventually(
        _ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async throws {
        if try await Poll.until(timeout: timeout, condition) { return }
        Issue.record("timed out after \(timeout) waiting for \(what)\n\n\(operatorLogs())\n\n\(plane.process("kube-controller-manager")?.logTail(2000) ?? "")", sourceLocation: sourceLocation)
        throw ControlPlaneError("timed out waiting for \(what)")
    }

    func waitForAPIServices() async throws {
        for name in ["v1beta1.custom.metrics.k8s.io", "v1beta2.custom.metrics.k8s.io", "v1beta1.external.metrics.k8s.io"] {
            try await eventually("APIService \(name) Available=True", timeout: .seconds(120)) {
                try await apiServiceAvailable(name) == "True"
            }
        }
    }

    func apiServiceAvailable(_ name: String) async throws -> String? {
        let object = try await json("/apis/apiregistration.k8s.io/v1/apiservices/\(name)")
        let conditions = (object["status"] as? [String: Any])?["conditions"] as? [[String: Any]]
        return conditions?.first { $0["type"] as? String == "Available" }?["status"] as? String
    }
}

/// Starts the cluster once around the whole suite and stops it after, whatever the tests did.
struct ClusterScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try await Cluster.start()
        do {
            try await Cluster.$shared.withValue(cluster) { try await function() }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}
