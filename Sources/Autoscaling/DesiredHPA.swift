import KubeModel

/// What a workload's annotations ask the operator to do: the single entry point shared by
/// `render` and the reconcile loop.
public enum DesiredHPA: Hashable, Sendable {
    /// Not ours: no HPA should exist for it.
    case none
    /// The annotations are wrong; leave any existing HPA unchanged.
    case invalid([AnnotationProblem])
    case hpa(HorizontalPodAutoscaler, warnings: [AnnotationProblem])

    public init<Kind>(for workload: AppsWorkload<Kind>, style: MetricStyle) {
        self.init(AnnotationParser.parse(workload), for: workload, style: style)
    }

    /// From annotations already read.
    public init<Kind>(_ reading: AnnotationReading, for workload: AppsWorkload<Kind>, style: MetricStyle) {
        switch reading {
        case .unannotated:
            self = .none
        case .invalid(let problems):
            self = .invalid(problems)
        case .valid(let spec, let warnings):
            let styleProblems = HPABuilder.problems(spec, style: style)
            if styleProblems.isEmpty {
                self = .hpa(HPABuilder.build(spec, for: WorkloadReference(workload), style: style), warnings: warnings)
            } else {
                self = .invalid((warnings + styleProblems).sortedByKey())
            }
        }
    }
}
