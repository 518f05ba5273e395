/// The functions of Prometheus 2.x up to 2.55, with their argument types (the facts of Prometheus's
/// own table). Those 2.55 marks experimental (`info`, `mad_over_time`, `sort_by_label`) parse here;
/// a Prometheus without `--enable-feature=promql-experimental-functions` refuses them when run.
public struct PromQLFunction: Sendable {
    public var name: String
    public var arguments: [ValueType]
    /// 0: exactly `arguments`; n > 0: the last argument is optional and may repeat up to n times in
    /// all; -1: the last repeats without bound.
    public var variadic: Int
    public var returns: ValueType

    public static func named(_ name: String) -> PromQLFunction? { table[name] }

    /// The Prometheus release that added it, past 2.42 (Prometheus's CHANGELOG), and whether it is
    /// still behind the experimental functions flag; nil for what 2.42 has.
    public var requirement: QueryRequirement? {
        Self.added[name].map { QueryRequirement(feature: name + "()", since: $0.since, experimental: $0.experimental) }
    }

    static let added: [String: (since: PrometheusVersion, experimental: Bool)] = [
        "histogram_stddev": (PrometheusVersion(2, 47), false), "histogram_stdvar": (PrometheusVersion(2, 47), false),
        "mad_over_time": (PrometheusVersion(2, 49), true), "sort_by_label": (PrometheusVersion(2, 49), true), "sort_by_label_desc": (PrometheusVersion(2, 49), true),
        "histogram_avg": (PrometheusVersion(2, 51), false),
        "info": (PrometheusVersion(3, 0), true),
    ]

    static let table: [String: PromQLFunction] = {
        let v = ValueType.instantVector
        let m = ValueType.rangeVector
        let s = ValueType.scalar
        let t = ValueType.string
        var table: [String: PromQLFunction] = [:]
        func add(_ names: [String], _ arguments: [ValueType], variadic: Int = 0, returns: ValueType = .instantVector) {
            for name in names { table[name] = PromQLFunction(name: name, arguments: arguments, variadic: variadic, returns: returns) }
        }
        add(
            [
                "abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "deg", "exp", "floor",
                "histogram_avg", "histogram_count", "histogram_stddev", "histogram_stdvar", "histogram_sum", "ln", "log10", "log2", "rad", "sgn", "sin", "sinh", "sort", "sort_desc",
                "sqrt", "tan", "tanh", "timestamp",
            ], [v])
        add(
            [
                "absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv", "idelta", "increase",
                "irate", "last_over_time", "mad_over_time", "max_over_time", "min_over_time", "present_over_time", "rate", "resets",
                "stddev_over_time", "stdvar_over_time", "sum_over_time",
            ], [m])
        add(["days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"], [v], variadic: 1)
        add(["clamp"], [v, s, s])
        add(["clamp_max", "clamp_min"], [v, s])
        add(["histogram_fraction"], [s, s, v])
        add(["histogram_quantile"], [s, v])
        add(["holt_winters"], [m, s, s])
        add(["label_replace"], [v, t, t, t, t])
        add(["label_join"], [v, t, t, t], variadic: -1)
        add(["info"], [v, v], variadic: 1)
        add(["sort_by_label", "sort_by_label_desc"], [v, t], variadic: -1)
        add(["pi", "time"], [], returns: s)
        add(["predict_linear"], [m, s])
        add(["quantile_over_time"], [s, m])
        add(["round"], [v, s], variadic: 1)
        add(["scalar"], [v], returns: s)
        add(["vector"], [s])
        return table
    }()
}
