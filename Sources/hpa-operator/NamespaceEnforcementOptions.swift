import ArgumentParser
import Foundation
import PromQL

/// `--enforce-namespace-label`, shared by `run`, `preview`, `query` and `backtest`.
struct NamespaceEnforcementOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Keep every query inside its HPA's namespace: each selector gets LABEL=\"<namespace>\", and a matcher on LABEL that could select another namespace is refused (prom-label-proxy's rule, for shared clusters).",
            valueName: "label"))
    var enforceNamespaceLabel: String?

    @Option(help: ArgumentHelp("Namespaces whose queries run as written (platform teams). Comma-separated, repeatable.", valueName: "ns,…"))
    var enforceNamespaceLabelExempt: [String] = []

    func validate() throws {
        if let label = enforceNamespaceLabel {
            guard PromQL.isLabelName(label), label != "__name__" else {
                throw ValidationError("--enforce-namespace-label: '\(label)' is not a label name (letters, digits and _, not starting with a digit)")
            }
        } else if !enforceNamespaceLabelExempt.isEmpty {
            throw ValidationError("--enforce-namespace-label-exempt needs --enforce-namespace-label")
        }
    }

    var enforcement: NamespaceEnforcement? {
        enforceNamespaceLabel.map { label in
            NamespaceEnforcement(label: label, exempt: Set(enforceNamespaceLabelExempt.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }))
        }
    }
}
