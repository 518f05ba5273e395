import ArgumentParser
import Autoscaling
import DecodingErrorText
import Foundation
import KubeModel
import Yams

extension MetricStyle: ExpressibleByArgument {}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the HPAs the operator would write for annotated workloads.",
        discussion: """
            Reads Deployments and StatefulSets (YAML with several documents, `kind: List`, or JSON) and prints the HorizontalPodAutoscalers the operator would apply for them, ready for `kubectl apply -f -`. Other kinds, and workloads without our annotations, are skipped with a note on stderr.

            Annotation problems are printed on stderr as `<namespace>/<name>: <key>: <problem>`, every problem at once; the exit code is then 1, after the valid workloads' HPAs have been printed.

            ownerReferences are written only when the manifest carries metadata.uid, as `kubectl get -o yaml` output does.

            Example: kubectl get deploy -A -o yaml | hpa-operator render -f -
            """
    )

    @Option(
        name: [.customShort("f"), .customLong("filename")],
        help: ArgumentHelp(
            "A manifest file, a directory of them (.yaml, .yml, .json), or - for standard input. Repeatable.",
            valueName: "file|dir|-"))
    var files: [String]

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output: yaml (a multi-document stream) or json (a List).")
    var output: OutputFormat = .yaml

    @Option(help: ArgumentHelp("How prometheus metrics appear in the HPA: object (default), pod (Banzai 0.1.5 / kube-metrics-adapter) or external (Banzai 0.2)."))
    var metricStyle: MetricStyle = .object

    func validate() throws {
        try OutputFormat.check(output, among: [.yaml, .json])
        if files.isEmpty { throw ValidationError("give at least one -f FILE|DIR|-") }
    }

    func run() throws {
        var hpas: [(hpa: HorizontalPodAutoscaler, comment: String?)] = []
        var failed = false
        for item in ManifestReader.read(files) {
            switch item {
            case .skipped(let note):
                printError(note)
            case .failed(let message):
                printError("error: \(message)")
                failed = true
            case .workload(let workload, let location):
                let name = workload.metadata.qualifiedName
                switch workload.desiredHPA(style: metricStyle) {
                case .none:
                    printError("\(location): skipped \(workload.kind) \(name): no \(AnnotationKeys.domain) annotations")
                case .invalid(let problems):
                    for problem in problems {
                        printError(problem.isError ? "\(name): \(problem)" : "warning: \(name): \(problem)")
                    }
                    failed = true
                case .hpa(let hpa, let warnings):
                    for warning in warnings { printError("warning: \(name): \(warning)") }
                    let comment = workload.scaleToZeroComment
                    // JSON has no comments: the note goes to stderr instead.
                    if let comment, output == .json { printError("note: \(name): \(comment)") }
                    hpas.append((hpa, comment))
                }
            }
        }
        print(try HPAFormatter.format(hpas, as: output), terminator: "")
        if failed { throw ExitCode(1) }
    }
}

/// Prints HPAs as kubectl does: keys sorted, YAML documents separated by `---`, JSON as a List.
enum HPAFormatter {
    /// YAML documents start with their `comment` line, when there is one; JSON leaves comments out.
    static func format(_ hpas: [(hpa: HorizontalPodAutoscaler, comment: String?)], as format: OutputFormat) throws -> String {
        switch format {
        case .yaml, .text:
            // Through JSON to a YAML node in one pass: Yams' own encoder sets each key by a linear
            // search, which made an HPA with 2,000 metrics take seconds.
            let encoder = JSONEncoder()
            return try hpas.map { hpa, comment in
                let json = try JSONValue(parsing: try encoder.encode(hpa))
                let document = try Yams.serialize(node: Node(json), width: -1)  // keys already sorted
                return comment.map { "# \(ExternalText.sanitized($0, limit: 500))\n" + document } ?? document
            }.joined(separator: "---\n")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(ObjectList(metadata: nil, items: hpas.map(\.hpa))), as: UTF8.self) + "\n"
        }
    }
}

/// One line to standard error. Manifests are not validated by an apiserver, so names, keys and
/// values in messages may hold anything: each line is made printable and bounded here.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((ExternalText.sanitized(line, limit: 1_000) + "\n").utf8))
}
