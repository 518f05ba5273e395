import KubeModel

/// kubectl's TARGETS column for autoscaling/v2 HPAs (`kubectl get hpa`): each metric as
/// `current/target`, `(avg)` for AverageValue targets of Object and External metrics, resource
/// metrics prefixed with their name, at most two shown and then `+ N more...`.
public enum HPATargets {
    /// The current value of each metric, in spec order; nil prints `<unknown>`. For Resource
    /// Utilization targets the value is the percentage.
    public static func format(_ metrics: [MetricSpec], current: [Quantity?]) -> String {
        guard !metrics.isEmpty else { return "<none>" }
        var list: [String] = []
        for (index, metric) in metrics.enumerated() {
            let value = index < current.count ? current[index] : nil
            let now = value?.description ?? "<unknown>"
            if let object = metric.object, metric.type == .object {
                list.append(pair(now, object.target))
            } else if let external = metric.external, metric.type == .external {
                list.append(pair(now, external.target))
            } else if let pods = metric.pods, metric.type == .pods {
                list.append("\(now)/\(pods.target.averageValue?.description ?? "<unknown>")")
            } else if let resource = metric.resource, metric.type == .resource {
                list.append("\(resource.name): " + resourcePair(value, resource.target))
            } else if let container = metric.containerResource, metric.type == .containerResource {
                list.append("\(container.name): " + resourcePair(value, container.target))
            } else {
                list.append("<unknown type>")
            }
        }
        let shown = 2
        guard list.count > shown else { return list.joined(separator: ", ") }
        return list.prefix(shown).joined(separator: ", ") + " + \(list.count - shown) more..."
    }

    private static func pair(_ current: String, _ target: MetricTarget) -> String {
        if let average = target.averageValue { return "\(current)/\(average) (avg)" }
        return "\(current)/\(target.value?.description ?? "<unknown>")"
    }

    private static func resourcePair(_ current: Quantity?, _ target: MetricTarget) -> String {
        if let average = target.averageValue { return "\(current?.description ?? "<unknown>")/\(average)" }
        let now = current.map { "\($0)%" } ?? "<unknown>"
        return "\(now)/\(target.averageUtilization.map { "\($0)%" } ?? "<auto>")"
    }
}
