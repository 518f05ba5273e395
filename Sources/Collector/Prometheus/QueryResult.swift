import Foundation
import KubeModel

/// One sample as Prometheus sends it: its labels, the evaluation time, and the value as text
/// (`"9.5"`, `"NaN"`, `"+Inf"`), kept as text so no precision is lost before interpretation.
public struct PrometheusSample: Sendable, Hashable {
    public var labels: [String: String]
    /// Unix seconds.
    public var time: Double
    public var value: String

    public init(labels: [String: String] = [:], time: Double, value: String) {
        self.labels = labels
        self.time = time
        self.value = value
    }
}

/// A range-vector series (only to say why it cannot be used).
public struct PrometheusSeries: Sendable, Hashable {
    public var labels: [String: String]
    public var points: [(time: Double, value: String)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.labels == rhs.labels && lhs.points.elementsEqual(rhs.points) { $0.time == $1.time && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels)
        hasher.combine(points.count)
    }
}

/// The `data` of a successful instant query, by `resultType`.
public enum QueryResult: Sendable, Hashable {
    case vector([PrometheusSample])
    case scalar(PrometheusSample)
    case matrix([PrometheusSeries])
    case string(time: Double, value: String)
}

/// A successful answer: the result and any warnings Prometheus attached.
public struct QueryResponse: Sendable, Hashable {
    public var result: QueryResult
    public var warnings: [String]

    public init(result: QueryResult, warnings: [String] = []) {
        self.result = result
        self.warnings = warnings
    }
}

/// The `/api/v1/query` body, success or error (Prometheus's HTTP API envelope).
struct QueryEnvelope: Decodable {
    var status: String
    var data: QueryData?
    var errorType: String?
    var error: String?
    var warnings: [String]?

    struct QueryData: Decodable {
        var result: QueryResult

        private enum CodingKeys: String, CodingKey { case resultType, result }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let type = try container.decode(String.self, forKey: .resultType)
            switch type {
            case "vector":
                result = .vector(try container.decode([VectorItem].self, forKey: .result).map(\.sample))
            case "scalar":
                result = .scalar(PrometheusSample(try container.decode(Point.self, forKey: .result)))
            case "matrix":
                result = .matrix(try container.decode([MatrixItem].self, forKey: .result).map(\.series))
            case "string":
                let point = try container.decode(Point.self, forKey: .result)
                result = .string(time: point.time, value: point.value)
            default:
                throw DecodingError.dataCorruptedError(forKey: .resultType, in: container, debugDescription: "unknown resultType '\(ExternalText.sanitized(type, limit: 40))'")
            }
        }
    }

    /// `[1700000060.5, "9.5"]`
    struct Point: Decodable {
        var time: Double
        var value: String

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            time = try container.decode(Double.self)
            value = try container.decode(String.self)
        }
    }

    struct VectorItem: Decodable {
        var metric: [String: String]?
        var value: Point
        var sample: PrometheusSample { PrometheusSample(labels: metric ?? [:], time: value.time, value: value.value) }
    }

    struct MatrixItem: Decodable {
        var metric: [String: String]?
        var values: [Point]?
        var series: PrometheusSeries { PrometheusSeries(labels: metric ?? [:], points: (values ?? []).map { ($0.time, $0.value) }) }
    }
}

extension PrometheusSample {
    init(_ point: QueryEnvelope.Point) {
        self.init(time: point.time, value: point.value)
    }
}
