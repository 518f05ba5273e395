/// A Prometheus release, read from what `/api/v1/status/buildinfo` says (`2.42.0+ds`, `v3.1.0`).
public struct PrometheusVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        (self.major, self.minor, self.patch) = (major, minor, patch)
    }

    /// The leading `major.minor[.patch]` of `text`; nil when it has none.
    public init?(_ text: String) {
        let numbers = text.drop { $0 == "v" }.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }.split(separator: ".").map { Int($0) }
        guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { return nil }
        self.init(major, minor, numbers.count > 2 ? numbers[2] ?? 0 : 0)
    }

    public static func < (a: PrometheusVersion, b: PrometheusVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// Something a query uses that not every Prometheus has: a function or aggregation of a later
/// release than 2.42 (the grammar this parser reads in full), and whether that release still
/// keeps it behind `--enable-feature=promql-experimental-functions`.
public struct QueryRequirement: Hashable, Sendable, CustomStringConvertible {
    /// `histogram_avg()`, `limitk`.
    public var feature: String
    public var since: PrometheusVersion
    public var experimental: Bool

    public var description: String {
        "\(feature) needs Prometheus \(since) or later" + (experimental ? ", started with --enable-feature=promql-experimental-functions" : "")
    }
}

extension Expr {
    /// What running the expression needs of its Prometheus, beyond 2.42: each feature once, in
    /// the order written.
    public var requirements: [QueryRequirement] {
        var found: [QueryRequirement] = []
        func add(_ requirement: QueryRequirement?) {
            if let requirement, !found.contains(requirement) { found.append(requirement) }
        }
        func walk(_ expression: Expr) {
            switch expression {
            case .number, .string, .vector, .matrix: return
            case .subquery(let subquery): walk(subquery.expression)
            case .call(let call):
                add(PromQLFunction.named(call.function)?.requirement)
                call.arguments.forEach(walk)
            case .aggregation(let aggregation):
                add(aggregation.op.requirement)
                if let parameter = aggregation.parameter { walk(parameter) }
                walk(aggregation.expression)
            case .binary(let operation):
                walk(operation.lhs)
                walk(operation.rhs)
            case .unary(_, let operand), .parenthesized(let operand): walk(operand)
            }
        }
        walk(self)
        return found
    }
}
