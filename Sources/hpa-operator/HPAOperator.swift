import ArgumentParser

@main
struct HPAOperator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hpa-operator",
        abstract: "Autoscale annotated Deployments and StatefulSets with HorizontalPodAutoscalers fed by Prometheus queries.",
        discussion: """
            Annotate a workload with hpa.autoscaling.banzaicloud.io/minReplicas, .../maxReplicas and one or more targets (cpu, memory, or prometheus.<metric>.hpa.autoscaling.banzaicloud.io/query with a target); `hpa-operator render` shows the HPA the operator will write for it.
            """,
        version: "0.1.0",
        subcommands: [Render.self, Preview.self, Query.self, Backtest.self, Explain.self, Run.self, Check.self]
    )
}
