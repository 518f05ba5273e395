import Foundation

/// The captured apiserver bytes (copied from shared/k8s-wire into Tests/Fixtures/k8s-wire).
public enum WireFixtures {
    public static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures/k8s-wire")

    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }
}
