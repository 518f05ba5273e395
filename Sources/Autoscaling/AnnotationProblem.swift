import KubeModel

/// One thing wrong with a workload's annotations, naming the key it is about, in words a user can
/// act on. Carried unchanged to Events, logs and CLI output.
public struct AnnotationProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: Hashable, Sendable {
        /// The HPA cannot be built (an existing one is left unchanged).
        case error
        /// Reported, but the HPA is still built.
        case warning
    }

    public var severity: Severity
    public var key: String
    public var message: String

    /// The message quotes values from the manifest: it is made safe to echo into Events and
    /// terminals (no control characters, bounded).
    public init(_ severity: Severity, key: String, _ message: String) {
        self.severity = severity
        self.key = key
        self.message = ExternalText.sanitized(message, limit: 600)
    }

    public static func error(_ key: String, _ message: String) -> Self { Self(.error, key: key, message) }
    public static func warning(_ key: String, _ message: String) -> Self { Self(.warning, key: key, message) }

    public var isError: Bool { severity == .error }

    /// `<key>: <message>`.
    public var description: String { "\(key): \(message)" }
}

extension [AnnotationProblem] {
    /// Ordered by key; problems of one key keep the order they were found in.
    func sortedByKey() -> [AnnotationProblem] {
        enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
    }
}
