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
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        /// A matcher on the label that could select another namespace's series.
        case matcher(LabelMatcher, namespace: String)
        /// A function that selects series the query does not name (`info(v)` reads `target_info`).
        case implicitSelection(function: String, namespace: String)

        public var description: String {
            switch self {
            case .matcher(let matcher, let namespace):
                "the matcher \(matcher) could select series of namespaces other than \(namespace): queries from namespace \(namespace) may only use \(matcher.name)=\(Expr.quote(namespace)), or leave it out (it is added)"
            case .implicitSelection(let function, let namespace):
                "\(function)() with one argument reads target_info series of every namespace, which queries from namespace \(namespace) may not: give it its second argument, a selector such as {__name__=\"target_info\"}, which is then kept inside \(namespace)"
            }
        }
    }

    /// Whether queries from `namespace` are rewritten (it is not exempt).
    public func covers(_ namespace: String) -> Bool { !exempt.contains(namespace) }

    /// The expression as it runs for `namespace`.
    public func enforce(_ expression: Expr, namespace: String) throws(Refusal) -> Expr {
        guard covers(namespace) else { return expression }
        if let implicit = expression.firstCall(where: { $0.function == "info" && $0.arguments.count == 1 }) {
            throw .implicitSelection(function: implicit.function, namespace: namespace)
        }
        return try expression.mapSelectors { (selector: VectorSelector) throws(Refusal) -> VectorSelector in
            var selector = selector
            let own = selector.matchers.filter { $0.name == label }
            for matcher in own where !Self.selectsOnly(namespace, matcher) {
                throw .matcher(matcher, namespace: namespace)
            }
            if own.isEmpty { selector.matchers.append(LabelMatcher(label, .equal, namespace)) }
            return selector
        }
    }

    /// `label="ns"`, or a regular expression that is `ns` spelled literally (`team-a`, `team\.a`).
    static func selectsOnly(_ namespace: String, _ matcher: LabelMatcher) -> Bool {
        // Compared byte for byte, as Prometheus compares: Swift's == takes canonically
        // equivalent text as equal (the Kelvin sign is "K" to it).
        switch matcher.op {
        case .equal: return matcher.value.utf8.elementsEqual(namespace.utf8)
        case .regexMatch: return (try? PrometheusRegex(matcher.value))?.literal.map { $0.utf8.elementsEqual(namespace.utf8) } ?? false
        case .notEqual, .regexNoMatch: return false
        }
    }
}
