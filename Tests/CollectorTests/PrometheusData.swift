import Foundation

/// Known series for instant queries at `evaluation` (two pods of a shop, one minute of counters).
enum PrometheusData {
    static let start = 1_700_000_000
    static let evaluation = Date(timeIntervalSince1970: TimeInterval(start + 60))

    /// The series, ending at `end`; the collector asks at Prometheus's present, so its tests read
    /// gauges (`shop_rps`), whose value does not depend on the instant as rate()'s extrapolation does.
    static func openMetrics(endingAt end: Int = start + 60) -> String {
        let begin = end - 60
        return """
            # TYPE http_requests counter
            http_requests_total{app="shop",pod="shop-1"} 100 \(begin)
            http_requests_total{app="shop",pod="shop-1"} 700 \(end)
            http_requests_total{app="shop",pod="shop-2"} 100 \(begin)
            http_requests_total{app="shop",pod="shop-2"} 400 \(end)
            # TYPE shop_rps gauge
            shop_rps{app="shop",pod="shop-1"} 5.833333333333333 \(end)
            shop_rps{app="shop",pod="shop-2"} 3.333333333333333 \(end)
            # TYPE queue_depth gauge
            queue_depth{queue="orders"} 42 \(begin)
            queue_depth{queue="orders"} 45 \(end)
            # EOF

            """
    }
}
