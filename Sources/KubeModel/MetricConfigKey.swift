/// kube-metrics-adapter's HPA annotation keys, `metric-config.<type>.<metric>.<collector>/<key>`:
/// written on generated HPAs by the operator and read back by the collector. The one place that
/// knows their shape.
public struct MetricConfigKey: Hashable, Sendable, CustomStringConvertible {
    public enum MetricType: String, Hashable, Sendable, CaseIterable {
        case object, pods, external
    }

    public static let prefix = "metric-config"
    public static let prometheusCollector = "prometheus"

    // The keys a prometheus metric config understands.
    public static let query = "query"
    public static let interval = "interval"
    public static let perReplica = "per-replica"
    public static let prometheusServer = "prometheus-server"
    public static let timeout = "timeout"
    public static let reservedKeys: Set<String> = [query, interval, perReplica, prometheusServer, timeout]

    public var type: MetricType
    public var metric: String
    public var collector: String
    public var key: String

    public init(type: MetricType, metric: String, collector: String = Self.prometheusCollector, key: String) {
        self.type = type
        self.metric = metric
        self.collector = collector
        self.key = key
    }

    /// Reads an annotation key; nil when it is not a metric-config key.
    public init?(parsing annotationKey: String) {
        guard let slash = annotationKey.firstIndex(of: "/") else { return nil }
        let key = annotationKey[annotationKey.index(after: slash)...]
        let parts = annotationKey[..<slash].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0] == Self.prefix, let type = MetricType(rawValue: String(parts[1])),
              !key.isEmpty, parts.allSatisfy({ !$0.isEmpty })
        else { return nil }
        self.type = type
        self.metric = parts[2..<(parts.count - 1)].joined(separator: ".")
        self.collector = String(parts[parts.count - 1])
        self.key = String(key)
    }

    public var description: String {
        "\(Self.prefix).\(type.rawValue).\(metric).\(collector)/\(key)"
    }
}

/// Banzai's external metric form: one metric named `prometheus-query`, the query chosen by a label.
public enum ExternalQuery {
    public static let metricName = "prometheus-query"
    public static let selectorLabel = "query-name"
}
