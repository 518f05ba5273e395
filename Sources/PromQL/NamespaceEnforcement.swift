/// Keeps a namespace's queries inside its namespace, as prom-label-proxy does in front of
/// Prometheus: every selector gets `label="namespace"`. A matcher on the label that could select
/// another namespace's series is refused, never widened or narrowed. Pure.
public struct NamespaceEnforcement: Hashable, Sendable {
    /// The series label holding the namespace (usually `namespace`).
    public var label: String
    /// Namespaces whose queries are left as written (platform teams).
    public var exempt: Set<String>

    public init(label: String, exempt: Set<String> = []) {
        self.label = label
        self.exempt = exempt
    }

    /// Why a query cannot run for a namespace.
    public struct Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        public var matcher: LabelMatcher
        public var namespace: String

        public var description: String {
            "the matcher \(matcher) could select series of namespaces other than \(namespace): queries from namespace \(namespace) may only use \(matcher.name)=\(Expr.quote(namespace)), or leave it out (it is added)"
        }
    }

    /// Whether queries from `namespace` are rewritten (it is not exempt).
    public func covers(_ namespace: String) -> Bool { !exempt.contains(namespace) }

    /// The expression as it runs for `namespace`.
    public func enforce(_ expression: Expr, namespace: String) throws(Refusal) -> Expr {
        guard covers(namespace) else { return expression }
        return try expression.mapSelectors { (selector: VectorSelector) throws(Refusal) -> VectorSelector in
            var selector = selector
            let own = selector.matchers.filter { $0.name == label }
            for matcher in own where !Self.selectsOnly(namespace, matcher) {
                throw Refusal(matcher: matcher, namespace: namespace)
            }
            if own.isEmpty { selector.matchers.append(LabelMatcher(label, .equal, namespace)) }
            return selector
        }
    }

    /// `label="ns"`, or a regular expression that is `ns` spelled literally (`team-a`, `team\.a`).
    static func selectsOnly(_ namespace: String, _ matcher: LabelMatcher) -> Bool {
        switch matcher.op {
        case .equal: return matcher.value == namespace
        case .regexMatch: return (try? PrometheusRegex(matcher.value))?.literal == namespace
        case .notEqual, .regexNoMatch: return false
        }
    }
}
