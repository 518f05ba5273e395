// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hpa-operator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hpa-operator", targets: ["hpa-operator"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Already in the build through Hummingbird; named because the metrics API's handler uses them directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the build through swift-nio; its Heap orders the collector's due queries.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Codable Kubernetes types, Quantity, LabelSelector. No I/O, no dependencies.
        .target(name: "KubeModel"),
        // libcurl for Swift: typed wrappers around its variadic setters (pkg-config libcurl).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        // Async HTTP over libcurl: TLS material, bearer tokens, timeouts, cancellation, streams.
        .target(name: "HTTPTransport", dependencies: ["CCurl"]),
        // Kubernetes client: kubeconfig / in-cluster config, typed verbs, watches, informers.
        .target(
            name: "KubeClient",
            dependencies: [
                "HTTPTransport", "KubeModel", "DecodingErrorText", "Yams", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]),
        // YAML syntax and decoding errors as one-line messages naming line, column or field.
        .target(name: "DecodingErrorText", dependencies: ["Yams"]),
        // PromQL (Prometheus 2.x): lexer, parser with Prometheus's type checks, printer, namespace enforcement. Pure.
        .target(name: "PromQL"),
        // Real-world queries and refused ones, for the parser's tests and benchmark (no code).
        .target(name: "PromQLCorpus"),
        // The pure core: annotations -> AutoscalingSpec -> desired HPA.
        .target(name: "Autoscaling", dependencies: ["KubeModel", "DecodingErrorText", "PromQL", "Yams"]),
        // The HPA controller's arithmetic and kubectl's TARGETS column, for preview and backtest. Pure.
        .target(name: "HPASimulation", dependencies: ["KubeModel", "Autoscaling"]),
        .executableTarget(
            name: "hpa-operator",
            dependencies: [
                "KubeModel", "Autoscaling", "HPASimulation", "DecodingErrorText", "KubeClient", "Operator", "Collector", "MetricsServer", "HTTPTransport", "PromQL", "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The reconcile loop: informers, work queue, ownership rules, events, leader election, metrics.
        .target(
            name: "Operator",
            dependencies: [
                "Autoscaling", "KubeClient", "KubeModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The embedded collector: Prometheus client, metric-config plan, scheduler, interpretation, MetricStore.
        .target(
            name: "Collector",
            dependencies: [
                "HTTPTransport", "KubeClient", "KubeModel", "DecodingErrorText", "PromQL",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // X.509 through the system's libcrypto (OpenSSL 3, libssl-dev): keys, issuing, PEM, chain verification.
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("crypto")]),
        // A small certificate authority (the metrics API's generated CA and serving certificate, and the tests' certificates).
        .target(name: "Certificates", dependencies: ["COpenSSL"]),
        // The custom and external metrics APIs over HTTPS: routes, discovery, TLS, requestheader auth.
        .target(
            name: "MetricsServer",
            dependencies: [
                "Certificates", "Collector", "KubeClient", "KubeModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What the `make bench-*` programs measure (time, CPU, resident memory); Foundation only.
        .target(name: "BenchmarkMeasure"),
        // Test doubles and fixtures shared by the test targets: certificates, the apiserver double.
        .target(
            name: "TestSupport",
            dependencies: [
                "BenchmarkMeasure", "Certificates", "KubeModel", "HTTPTransport", "KubeClient", "Yams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `make bench-kube`: client throughput against the double over TLS (a benchmark, not a test).
        .executableTarget(name: "KubeBenchmark", dependencies: ["KubeClient", "KubeModel", "HTTPTransport", "TestSupport"]),
        // `make bench-operator`: start-to-HPAs, edit-to-write latency, churn writes, memory.
        .executableTarget(name: "OperatorBenchmark", dependencies: ["Operator", "KubeClient", "KubeModel", "HTTPTransport", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        // `make bench-cluster`: the operator against the real kube-apiserver, beside the bare-create floor.
        .executableTarget(name: "ClusterBenchmark", dependencies: ["KubeClient", "KubeModel", "TestSupport"]),
        // `make bench-collector`: one round of 1,000 queries against a real Prometheus, against curl.
        .executableTarget(name: "CollectorBenchmark", dependencies: ["Collector", "KubeModel", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        // `make bench-promql`: parse and namespace rewrite per query over the corpus.
        .executableTarget(name: "PromQLBenchmark", dependencies: ["PromQL", "PromQLCorpus", "BenchmarkMeasure"]),
        // `make bench-api`: the metrics API against nginx serving the same bytes, both over TLS, loaded by wrk.
        .executableTarget(name: "APIBenchmark", dependencies: ["MetricsServer", "Collector", "Autoscaling", "KubeModel", "TestSupport", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport", "TestSupport"]),
        .testTarget(name: "CertificatesTests", dependencies: ["Certificates", "TestSupport"]),
        .testTarget(name: "KubeModelTests", dependencies: ["KubeModel", "TestSupport"]),
        .testTarget(name: "KubeClientTests", dependencies: ["KubeClient", "KubeModel", "HTTPTransport", "TestSupport"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "KubeModel", "TestSupport"]),
        .testTarget(name: "PromQLTests", dependencies: ["PromQL", "PromQLCorpus", "TestSupport", "HTTPTransport"]),
        .testTarget(name: "HPASimulationTests", dependencies: ["HPASimulation", "KubeModel", "Autoscaling"]),
        .testTarget(
            name: "CollectorTests", dependencies: ["Collector", "HPASimulation", "KubeClient", "KubeModel", "HTTPTransport", "TestSupport", .product(name: "Prometheus", package: "swift-prometheus")]),
        .testTarget(name: "MetricsServerTests", dependencies: ["MetricsServer", "Collector", "Autoscaling", "KubeClient", "KubeModel", "HTTPTransport", "TestSupport", "Operator"]),
        .testTarget(name: "OperatorTests", dependencies: ["Operator", "Autoscaling", "KubeClient", "KubeModel", "TestSupport"]),
        .testTarget(
            name: "CLITests", dependencies: ["hpa-operator", .product(name: "Hummingbird", package: "hummingbird"), "HTTPTransport", "KubeClient", "KubeModel", "TestSupport", "Yams"],
            exclude: ["Golden"]),
        // The real control plane (kube-apiserver, kube-controller-manager, etcd, Prometheus) around the built binary: `make e2e`.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["hpa-operator", "Autoscaling", .product(name: "Hummingbird", package: "hummingbird"), "HTTPTransport", "KubeClient", "KubeModel", "TestSupport", "Yams"]),
    ]
)
