import ArgumentParser
import KubeClient

/// Where the Kubernetes API is: the flags `run` and `check` share.
struct KubeconfigOptions: ParsableArguments {
    @Option(help: "Path to a kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(help: ArgumentHelp("The largest answer read from the apiserver (a list page, one watch event); past it the request fails saying so (128Mi, or bytes).", valueName: "size"))
    var kubeApiMaxResponseSize = ByteSize(ClientConfig.defaultMaximumResponseSize)

    func load() throws -> ClientConfig {
        var config = try KubeConfigLoader.load(kubeconfig: kubeconfig, context: context)
        config.maximumResponseSize = kubeApiMaxResponseSize.bytes
        return config
    }
}
