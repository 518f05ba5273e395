import Collector
import Foundation
import KubeModel

/// One request to the metrics API, as the HTTP layer hands it over.
public struct MetricsAPIRequest: Sendable {
    public var method: String
    /// The path as sent, percent-encoding included (`/pods/%2A/rps`).
    public var path: String
    /// Query parameters, decoded.
    public var query: [String: String]

    public init(method: String = "GET", path: String, query: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.query = query
    }
}

public struct MetricsAPIResponse: Sendable {
    public var status: Int
    public var body: Data
}

/// The custom and external metrics APIs over the collector's store (README, "The metrics API"): routes, JSON shapes,
/// discovery and errors. No HTTP here, so every route is tested directly.
public struct MetricsAPI: Sendable {
    public let store: MetricStore

    public init(store: MetricStore) {
        self.store = store
    }

    public func respond(_ request: MetricsAPIRequest, now: Date) -> MetricsAPIResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return Self.status(405, reason: "MethodNotAllowed", "the metrics API only serves GET, not \(request.method)")
        }
        let segments = request.path.utf8.split(separator: UInt8(ascii: "/")).map { PercentDecoding.decode(Substring($0)) }
        switch segments.first {
        case "openapi" where segments == ["openapi", "v2"]:
            return Self.openAPI
        case "apis":
            return apis(Array(segments.dropFirst()), query: request.query, now: now)
        default:
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
    }

    private func apis(_ path: [String], query: [String: String], now: Date) -> MetricsAPIResponse {
        let custom = MetricsAPIGroup.custom
        let external = MetricsAPIGroup.external
        guard let group = path.first else { return Self.json(APIGroupList(groups: Self.groups)) }
        guard let document = Self.groups.first(where: { $0.name == group }) else {
            return Self.status(404, reason: "NotFound", "this server serves only \(custom) and \(external), not \(group)")
        }
        guard path.count > 1 else { return Self.json(document) }
        let version = path[1]
        guard document.versions.contains(where: { $0.version == version }) else {
            return Self.status(404, reason: "NotFound", "\(group) has no version \(version)")
        }
        let rest = Array(path.dropFirst(2))
        if rest.isEmpty { return discovery(group: group, version: version) }
        guard rest.count >= 2, rest[0] == "namespaces" else {
            return Self.status(404, reason: "NotFound", "metrics are served per namespace: /apis/\(group)/\(version)/namespaces/{namespace}/…")
        }
        let namespace = rest[1]
        let selectors: (labels: Selector, metricLabels: Selector)
        do {
            selectors = (try Self.selector(query["labelSelector"]), try Self.selector(query["metricLabelSelector"]))
        } catch {
            return Self.status(400, reason: "BadRequest", error.description)
        }
        switch (group, rest.count) {
        case (external, 3):
            return externalValues(namespace: namespace, metric: rest[2], selector: selectors.labels, now: now)
        case (custom, 4) where rest[2] == "metrics":
            // A metric describing the Namespace object itself.
            return objectValues(
                version: version, namespace: namespace, resource: GroupResource(resource: "namespaces"),
                name: namespace, metric: rest[3], selector: selectors.metricLabels, podSelector: selectors.labels, now: now)
        case (custom, 5):
            return objectValues(
                version: version, namespace: namespace, resource: GroupResource(parsing: rest[2]),
                name: rest[3], metric: rest[4], selector: selectors.metricLabels, podSelector: selectors.labels, now: now)
        default:
            return Self.status(404, reason: "NotFound", "the server could not find the requested resource")
        }
    }

    // MARK: Values

    private func objectValues(
        version: String, namespace: String, resource: GroupResource, name: String, metric: String,
        selector: Selector, podSelector: Selector, now: Date
    ) -> MetricsAPIResponse {
        var found: [(object: DescribedObject, labels: [String: String], reading: Result<MetricValue, MetricError>)] = []
        for (key, reading) in store.objects(namespace: namespace, resource: resource, metric: metric, now: now)
        where (name == "*" || key.name == name) && selector.matches(key.labels) {
            found.append((DescribedObject(kind: key.kind, namespace: namespace, name: key.name, apiVersion: key.apiVersion), key.labels, reading))
        }
        // A pods metric (one value per pod, by the query's pod label) answers the wildcard the HPA
        // controller asks for Pods metrics, and a named pod no object metric describes.
        if resource == GroupResource(resource: "pods"), name == "*" || found.isEmpty,
            let pods = store.pods(namespace: namespace, metric: metric, podSelector: podSelector, now: now)
        {
            switch pods {
            case .failure(let error):
                return Self.status(404, reason: "NotFound", "\(metric): \(error)")
            case .success(let values):
                let perPod = values.sorted(by: { $0.key < $1.key }).filter { name == "*" || $0.key == name }
                if !perPod.isEmpty || name == "*" {
                    found = perPod.map { pod, value in (DescribedObject(kind: "Pod", namespace: namespace, name: pod, apiVersion: "v1"), [:], .success(value)) }
                }
            }
        }
        let target = name == "*" ? "\(resource) in namespace \(namespace)" : "\(resource) \(namespace)/\(name)"
        guard !found.isEmpty else {
            let filter = selector.isEmpty ? "" : " with labels \(selector)"
            return Self.status(404, reason: "NotFound", "\(metric): not collected for \(target)\(filter); no HPA's metric-config annotations name it")
        }
        if found.count > 1, name != "*", selector.isEmpty, let plain = found.first(where: { $0.labels.isEmpty }) {
            found = [plain]
        }
        var values: [(DescribedObject, [String: String], MetricValue)] = []
        for entry in found {
            switch entry.reading {
            case .failure(let error): return Self.status(404, reason: "NotFound", "\(metric): \(error)")
            case .success(let value): values.append((entry.object, entry.labels, value))
            }
        }
        let apiVersion = "\(MetricsAPIGroup.custom)/\(version)"
        if version == "v1beta1" {
            return Self.json(
                MetricsList(
                    kind: "MetricValueList", apiVersion: apiVersion,
                    items: values.map { object, labels, value in
                        MetricValueV1Beta1(
                            describedObject: object, metricName: metric, timestamp: Timestamp.rfc3339(value.timestamp), value: value.value,
                            selector: labels.isEmpty ? nil : LabelSelector(matchLabels: labels))
                    }))
        }
        return Self.json(
            MetricsList(
                kind: "MetricValueList", apiVersion: apiVersion,
                items: values.map { object, labels, value in
                    MetricValueV1Beta2(
                        describedObject: object, metric: metric, selector: labels.isEmpty ? nil : LabelSelector(matchLabels: labels),
                        timestamp: Timestamp.rfc3339(value.timestamp), value: value.value)
                }))
    }

    private func externalValues(namespace: String, metric: String, selector: Selector, now: Date) -> MetricsAPIResponse {
        var items: [ExternalMetricValue] = []
        for (key, reading) in store.external(namespace: namespace, metric: metric, now: now) where selector.matches(key.labels) {
            switch reading {
            case .failure(let error):
                return Self.status(404, reason: "NotFound", "\(Self.externalName(metric, key.labels)): \(error)")
            case .success(let value):
                items.append(ExternalMetricValue(metricName: metric, metricLabels: key.labels, timestamp: Timestamp.rfc3339(value.timestamp), value: value.value))
            }
        }
        guard !items.isEmpty else {
            let filter = selector.isEmpty ? "" : " matching \(selector)"
            return Self.status(404, reason: "NotFound", "\(metric): no external metric\(filter) is collected in namespace \(namespace); no HPA's metric-config annotations name it")
        }
        return Self.json(MetricsList(kind: "ExternalMetricValueList", apiVersion: "\(MetricsAPIGroup.external)/v1beta1", items: items))
    }

    /// Banzai's shared `prometheus-query` metric is named by its query name in messages.
    private static func externalName(_ metric: String, _ labels: [String: String]) -> String {
        if metric == ExternalQuery.metricName, let name = labels[ExternalQuery.selectorLabel] { return name }
        return metric
    }

    // MARK: Discovery

    /// What is collected now, as the aggregator's discovery expects it.
    private func discovery(group: String, version: String) -> MetricsAPIResponse {
        var names = Set<String>()
        let external = group == MetricsAPIGroup.external
        for key in store.keys {
            switch key {
            case .object(let object) where !external: names.insert("\(object.resource)/\(object.metric)")
            case .pods(let pods) where !external: names.insert("pods/\(pods.metric)")
            case .external(let metric) where external: names.insert(metric.metric)
            default: break
            }
        }
        let kind = external ? "ExternalMetricValueList" : "MetricValueList"
        return Self.json(
            APIResourceList(
                groupVersion: "\(group)/\(version)",
                resources: names.sorted().map {
                    APIResourceList.Resource(name: $0, namespaced: true, kind: kind, verbs: ["get"])
                }))
    }

    /// The groups this server serves, as `/apis` lists them.
    private static let groups = [
        APIGroup(name: MetricsAPIGroup.custom, versions: MetricsAPIGroup.customVersions),
        APIGroup(name: MetricsAPIGroup.external, versions: MetricsAPIGroup.externalVersions),
    ]

    static let openAPI = MetricsAPIResponse(
        status: 200,
        body: Data(
            #"""
            {"swagger":"2.0","info":{"title":"hpa-operator metrics API","version":"v1"},"paths":{}}
            """#.utf8))

    // MARK: Helpers

    private static func selector(_ text: String?) throws(SelectorParseError) -> Selector {
        guard let text, !text.isEmpty else { return Selector() }
        return try Selector(parsing: text)
    }

    static func json(_ value: some JSONWritable) -> MetricsAPIResponse {
        MetricsAPIResponse(status: 200, body: Data(JSONWriter.write(value)))
    }

    static func json<T: Encodable>(_ value: T, status: Int = 200) -> MetricsAPIResponse {
        MetricsAPIResponse(status: status, body: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A `Status` failure, as an apiserver answers.
    public static func status(_ code: Int, reason: String, _ message: String) -> MetricsAPIResponse {
        json(Status(message: message, reason: reason, code: Int32(code)), status: code)
    }
}

/// Percent-decoding as Go's URL parsing does it, without Foundation's string bridging (it is on
/// every request's path): `%XX` is the byte XX; a malformed escape is kept as it is.
enum PercentDecoding {
    static func decode(_ text: Substring, plusIsSpace: Bool = false) -> String {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && utf8.contains(UInt8(ascii: "+"))) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high != utf8.endIndex,
                let low = utf8.index(high, offsetBy: 1, limitedBy: utf8.endIndex), low != utf8.endIndex,
                let value = hex(utf8[high]).flatMap({ h in hex(utf8[low]).map { h << 4 | $0 } })
            {
                bytes.append(value)
                index = utf8.index(after: low)
                continue
            }
            bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = utf8.index(after: index)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
