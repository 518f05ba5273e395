import ArgumentParser
import KubeClient

/// Where the Kubernetes API is: the flags `run` and `check` share.
struct KubeconfigOptions: ParsableArguments {
    @Option(help: "Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    func load() throws -> ClientConfig {
        try KubeConfigLoader.load(kubeconfig: kubeconfig, context: context)
    }
}
