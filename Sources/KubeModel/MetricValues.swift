import Foundation

// The wire types of custom.metrics.k8s.io (v1beta1, v1beta2) and external.metrics.k8s.io (v1beta1).
// The discovery documents an aggregated API serves are in Discovery.swift.

public enum MetricsAPIGroup {
    public static let custom = "custom.metrics.k8s.io"
    public static let external = "external.metrics.k8s.io"
    public static let customVersions = ["v1beta2", "v1beta1"]
    public static let externalVersions = ["v1beta1"]
}

/// The object a custom metric describes.
public struct DescribedObject: Decodable, Hashable, Sendable, JSONWritable {
    public var kind: String
    public var namespace: String?
    public var name: String
    public var apiVersion: String

    public init(kind: String, namespace: String?, name: String, apiVersion: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.apiVersion = apiVersion
    }

    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("apiVersion")
            json.string(apiVersion)
            json.key("kind")
            json.string(kind)
            json.key("name")
            json.string(name)
            if let namespace {
                json.key("namespace")
                json.string(namespace)
            }
        }
    }
}

/// custom.metrics.k8s.io/v1beta2 `MetricValue`.
public struct MetricValueV1Beta2: Decodable, Hashable, Sendable, JSONWritable {
    public struct Identifier: Decodable, Hashable, Sendable {
        public var name: String
        public var selector: LabelSelector?
    }

    public var describedObject: DescribedObject
    public var metric: Identifier
    public var timestamp: String
    public var value: Quantity

    public init(describedObject: DescribedObject, metric: String, selector: LabelSelector?, timestamp: String, value: Quantity) {
        self.describedObject = describedObject
        self.metric = Identifier(name: metric, selector: selector)
        self.timestamp = timestamp
        self.value = value
    }

    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("describedObject")
            json.value(describedObject)
            json.key("metric")
            json.object { json in
                json.key("name")
                json.string(metric.name)
                if let selector = metric.selector {
                    json.key("selector")
                    json.value(selector)
                }
            }
            json.key("timestamp")
            json.string(timestamp)
            json.key("value")
            json.string(value.description)
        }
    }
}

/// custom.metrics.k8s.io/v1beta1 `MetricValue`: the metric name flat, and `selector` always present.
public struct MetricValueV1Beta1: Decodable, Hashable, Sendable, JSONWritable {
    public var describedObject: DescribedObject
    public var metricName: String
    public var timestamp: String
    public var value: Quantity
    public var selector: LabelSelector?

    public init(describedObject: DescribedObject, metricName: String, timestamp: String, value: Quantity, selector: LabelSelector?) {
        self.describedObject = describedObject
        self.metricName = metricName
        self.timestamp = timestamp
        self.value = value
        self.selector = selector
    }

    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("describedObject")
            json.value(describedObject)
            json.key("metricName")
            json.string(metricName)
            // `selector: null` when there is none, as the Kubernetes type has no omitempty there.
            json.key("selector")
            if let selector { json.value(selector) } else { json.null() }
            json.key("timestamp")
            json.string(timestamp)
            json.key("value")
            json.string(value.description)
        }
    }
}

/// external.metrics.k8s.io/v1beta1 `ExternalMetricValue`.
public struct ExternalMetricValue: Decodable, Hashable, Sendable, JSONWritable {
    public var metricName: String
    public var metricLabels: [String: String]
    public var timestamp: String
    public var value: Quantity

    public init(metricName: String, metricLabels: [String: String], timestamp: String, value: Quantity) {
        self.metricName = metricName
        self.metricLabels = metricLabels
        self.timestamp = timestamp
        self.value = value
    }

    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("metricLabels")
            json.map(metricLabels)
            json.key("metricName")
            json.string(metricName)
            json.key("timestamp")
            json.string(timestamp)
            json.key("value")
            json.string(value.description)
        }
    }
}

/// `MetricValueList` / `ExternalMetricValueList`.
public struct MetricsList<Item: Decodable & Hashable & Sendable & JSONWritable>: Decodable, Hashable, Sendable, JSONWritable {
    public var kind: String
    public var apiVersion: String
    public var metadata: ListMeta
    public var items: [Item]

    public init(kind: String, apiVersion: String, items: [Item]) {
        self.kind = kind
        self.apiVersion = apiVersion
        self.metadata = ListMeta()
        self.items = items
    }

    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            json.key("apiVersion")
            json.string(apiVersion)
            json.key("items")
            json.array(items) { json, item in json.value(item) }
            json.key("kind")
            json.string(kind)
            json.key("metadata")
            json.object { _ in }  // a list of values is never paged
        }
    }
}
