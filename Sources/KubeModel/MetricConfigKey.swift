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
    /// kube-metrics-adapter's name for a server of `--additional-prometheus-server`; here, a
    /// `--prometheus-server-alias` name. `prometheus-server` wins when both are given.
    public static let prometheusServerAlias = "prometheus-server-alias"
    public static let timeout = "timeout"
    public static let reservedKeys: Set<String> = [query, interval, perReplica, prometheusServer, prometheusServerAlias, timeout]

    /// An alertmanager metric config (`metric-config.external.<m>.alertmanager/…`): the alerts
    /// whose values make the metric. The namespace and workload come from the HPA.
    public static let alertmanagerCollector = "alertmanager"
    public static let alertname = "alertname"
    /// A JSON object of further label equalities.
    public static let matchLabels = "match-labels"
    /// The alert label holding the workload's name.
    public static let workloadLabel = "workload-label"

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
    /// The label our external-style HPAs add to their selector, naming the workload, so two
    /// workloads in a namespace with a metric of the same name each read their own value.
    public static let workloadLabel = "hpa-operator/workload"

    /// The workload's name as a label value (at most 63 characters: a longer name is shortened to
    /// a stable hash of it).
    public static func workloadValue(_ name: String) -> String {
        guard name.utf8.count > 63 else { return name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(name.prefix(40)) + "-" + String(hash, radix: 16)
    }
}
