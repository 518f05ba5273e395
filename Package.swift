// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hpa-operator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hpa-operator", targets: ["hpa-operator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Codable Kubernetes types, Quantity, LabelSelector. No I/O, no dependencies.
        .target(name: "KubeModel"),
        // The pure core: annotations -> AutoscalingSpec -> desired HPA.
        .target(name: "Autoscaling", dependencies: ["KubeModel", "Yams"]),
        .executableTarget(
            name: "hpa-operator",
            dependencies: [
                "KubeModel", "Autoscaling", "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "KubeModelTests", dependencies: ["KubeModel"], exclude: ["Fixtures"]),
        .testTarget(name: "AutoscalingTests", dependencies: ["Autoscaling", "KubeModel"]),
        .testTarget(name: "CLITests", dependencies: ["hpa-operator"], exclude: ["Golden"]),
    ]
)
