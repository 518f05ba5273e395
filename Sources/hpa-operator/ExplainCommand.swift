import ArgumentParser
import Autoscaling
import Foundation
import HPASimulation
import KubeClient
import KubeModel

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why a workload has the replicas it has: its HPA's metrics, the controller's arithmetic and every clamp, from a live cluster.",
        discussion: """
            Reads the Deployment (or StatefulSet) NAMESPACE/NAME, the HPA that scales it and the replicas it runs, and replays the HPA controller's rules (Kubernetes 1.33) on the metric values the controller last recorded in the HPA's status: each metric's value, target and the replicas it proposes (with the HPA's tolerances), the winner, the bounds, what holds a scale-down; then what the controller itself concluded, its conditions, where the replay and the controller disagree, and what changes the count next. Also what hpa-operator reads from the workload's annotations (problems, scale to zero, fallback).

            Read-only: it needs get on the workload and list on HPAs in its namespace. Exit code 1 when something it needs is missing (no such workload, no HPA), saying what.

            Example: hpa-operator explain shop/web
            """
    )

    @Argument(help: ArgumentHelp("The workload.", valueName: "namespace/name"))
    var workload: String

    @Option(help: "Deployment or StatefulSet (default: whichever exists, Deployment first).")
    var kind: String?

    @OptionGroup var cluster: KubeconfigOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: text or json.")
    var output: OutputFormat = .text

    func validate() throws {
        try OutputFormat.check(output, among: [.text, .json])
        if workload.split(separator: "/", omittingEmptySubsequences: false).count != 2 || workload.hasPrefix("/") || workload.hasSuffix("/") {
            throw ValidationError("give NAMESPACE/NAME, got '\(workload)'")
        }
        if let kind, !["Deployment", "StatefulSet"].contains(kind) { throw ValidationError("--kind: Deployment or StatefulSet, got '\(kind)'") }
    }

    func run() async throws {
        let parts = workload.split(separator: "/").map(String.init)
        let (namespace, name) = (parts[0], parts[1])
        let client: KubeClient
        do {
            client = KubeClient(config: try cluster.load())
        } catch {
            printError("error: cannot configure the Kubernetes client: \(error)")
            throw ExitCode(1)
        }
        do {
            let found = try await Self.findWorkload(client, kind: kind, namespace: namespace, name: name)
            let notes = Self.operatorNotes(found.reading)
            let hpas = try await Self.findHPAs(client, kind: found.kind, namespace: namespace, name: name)
            guard let hpa = hpas.first else {
                throw ExplainError("no HorizontalPodAutoscaler scales \(found.kind) \(namespace)/\(name)" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
            }
            let explanation = Explanation.explain(
                hpa, currentReplicas: found.replicas, readyReplicas: found.ready,
                otherHPAs: hpas.dropFirst().compactMap(\.metadata.name))
            switch output {
            case .text, .yaml:
                print(Self.text(explanation, kind: found.kind, notes: notes))
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                struct Answer: Encodable {
                    var workload: String
                    var operatorNotes: [String]
                    var explanation: Explanation
                }
                print(String(decoding: try encoder.encode(Answer(workload: "\(found.kind) \(namespace)/\(name)", operatorNotes: notes, explanation: explanation)), as: UTF8.self))
            }
        } catch let error as ExplainError {
            printError("error: " + ExternalText.sanitized(error.message, limit: 2_000))
            throw ExitCode(1)
        } catch {
            printError("error: " + ExternalText.sanitized("\(error)", limit: 2_000))
            throw ExitCode(1)
        }
    }

    struct ExplainError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    struct FoundWorkload {
        var kind: String
        var replicas: Int32
        var ready: Int32?
        var reading: AnnotationReading
    }

    static func findWorkload(_ client: KubeClient, kind: String?, namespace: String, name: String) async throws -> FoundWorkload {
        for candidate in kind.map({ [$0] }) ?? ["Deployment", "StatefulSet"] {
            do {
                if candidate == "Deployment" {
                    let workload = try await client.get(Deployment.self, namespace: namespace, name: name)
                    return FoundWorkload(kind: candidate, replicas: workload.spec?.replicas ?? 1, ready: workload.status?.readyReplicas, reading: AnnotationParser.parse(workload))
                }
                let workload = try await client.get(StatefulSet.self, namespace: namespace, name: name)
                return FoundWorkload(kind: candidate, replicas: workload.spec?.replicas ?? 1, ready: workload.status?.readyReplicas, reading: AnnotationParser.parse(workload))
            } catch KubeError.notFound {
                continue
            }
        }
        throw ExplainError("no \(kind ?? "Deployment or StatefulSet") \(namespace)/\(name)")
    }

    /// The HPAs in the namespace that scale the workload, the one named after it first.
    static func findHPAs(_ client: KubeClient, kind: String, namespace: String, name: String) async throws -> [HorizontalPodAutoscaler] {
        let scaling = try await client.list(HorizontalPodAutoscaler.self, namespace: namespace).items.filter {
            $0.spec.scaleTargetRef.kind == kind && $0.spec.scaleTargetRef.name == name
        }
        return scaling.filter { $0.metadata.name == name } + scaling.filter { $0.metadata.name != name }
    }

    /// What hpa-operator makes of the workload's annotations.
    static func operatorNotes(_ reading: AnnotationReading) -> [String] {
        switch reading {
        case .unannotated:
            return ["the workload has no \(AnnotationKeys.domain) annotations: hpa-operator does not manage its HPA"]
        case .invalid(let problems):
            return ["hpa-operator refuses the workload's annotations and leaves its HPA as it was: " + problems.map(\.description).joined(separator: "; ")]
        case .valid(let spec, let warnings):
            var notes = warnings.map { "warning: \($0)" }
            if let zero = spec.scaleToZero {
                notes.append(
                    zero.native
                        ? "minReplicas 0, native: the HPA controller scales to 0 and back"
                        : "minReplicas 0: hpa-operator scales between 0 and 1 (active while "
                            + spec.activationThresholds.sorted { $0.key < $1.key }.map { "\($0.key) > \($0.value)" }.joined(separator: " or ")
                            + "; to 0 after \(Activation.durationText(zero.cooldown)) inactive); the HPA's own floor is 1")
            }
            if let fallback = spec.fallback {
                notes.append(
                    "fallback: while a prometheus or alertmanager metric cannot be read for \(fallback.after ?? "3 × its interval"), the metrics API serves the value that asks for \(fallback.replicas) replicas"
                )
            }
            return notes
        }
    }

    static func text(_ explanation: Explanation, kind: String, notes: [String]) -> String {
        var lines: [String] = []
        let tolerance =
            explanation.toleranceUp == explanation.toleranceDown
            ? "±\(Self.percent(explanation.toleranceUp))" : "+\(Self.percent(explanation.toleranceUp))/−\(Self.percent(explanation.toleranceDown))"
        lines.append(
            "HorizontalPodAutoscaler \(explanation.hpa) scales \(kind) with \(explanation.currentReplicas) replicas (min \(explanation.minReplicas), max \(explanation.maxReplicas), tolerance \(tolerance))"
        )
        lines.append("")
        let rows =
            [["METRIC", "TYPE", "CURRENT", "TARGET", "PROPOSAL"]]
            + explanation.metrics.map {
                [$0.name, $0.type, $0.current ?? "<unknown>", $0.target, $0.proposal.map(String.init) ?? "-"].map { ExternalText.sanitized($0, limit: 200) }
            }
        lines.append(KubectlTable.format(rows).trimmingCharacters(in: .newlines))
        lines.append("")
        if explanation.replayedAt != explanation.currentReplicas {
            lines.append("The replay uses the \(explanation.replayedAt) replicas the controller computed from at its last sync")
        }
        lines.append("Why \(explanation.desiredByMetrics):")
        // Values, reasons and messages come from the cluster: printable and bounded.
        func item(_ text: String) -> String { "  - " + ExternalText.sanitized(text, limit: 1_000) }
        lines += explanation.steps.map(item)
        if let controller = explanation.controllerDesired {
            lines.append("The HPA controller asked for \(controller) at its last sync" + (explanation.lastScaleTime.map { "; it last scaled at \($0)" } ?? ""))
        }
        if !explanation.conditions.isEmpty {
            lines.append("Conditions:")
            lines += explanation.conditions.map { "  " + ExternalText.sanitized("\($0.type)=\($0.status)" + ($0.reason.map { " \($0)" } ?? "") + ($0.message.map { ": \($0)" } ?? ""), limit: 1_000) }
        }
        if !explanation.findings.isEmpty {
            lines.append("Findings:")
            lines += explanation.findings.map(item)
        }
        if !notes.isEmpty {
            lines.append("hpa-operator:")
            lines += notes.map(item)
        }
        lines.append("Next: " + ExternalText.sanitized(explanation.next, limit: 1_000))
        return lines.joined(separator: "\n")
    }

    private static func percent(_ fraction: Double) -> String {
        let value = (fraction * 1000).rounded() / 10
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }
}
