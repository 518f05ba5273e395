import Foundation
import KubeModel

/// What a query result means (README, "The collector"), as plain functions: fail closed, every refusal worded.
public enum Interpretation {
    /// A value with the time Prometheus evaluated it at.
    public struct Reading: Sendable, Hashable {
        public var value: Quantity
        /// Unix seconds of the sample.
        public var sampleTime: Double
        /// The sample as Prometheus wrote it, before any division and rounding.
        public var text: String
    }

    /// An Object or External metric: one sample or a scalar, optionally divided per replica.
    public static func single(_ result: QueryResult, perReplica replicas: Int? = nil, target: String = "the scale target") -> Result<Reading, MetricError> {
        let sample: PrometheusSample
        switch result {
        case .scalar(let scalar):
            sample = scalar
        case .vector(let samples):
            guard samples.count <= 1 else { return .failure(.tooManySeries(samples.count)) }
            guard let only = samples.first else { return .failure(.noData) }
            sample = only
        case .matrix:
            return .failure(.rangeVector)
        case .string(_, let value):
            return .failure(.stringResult(value))
        }
        if replicas == 0 { return .failure(.zeroReplicas(target: target)) }
        return quantity(sample.value, dividedBy: replicas ?? 1).map { Reading(value: $0, sampleTime: sample.time, text: sample.value) }
    }

    /// A Pods metric: one series per pod, each with a `pod` label.
    public static func pods(_ result: QueryResult) -> Result<[String: Reading], MetricError> {
        let samples: [PrometheusSample]
        switch result {
        case .vector(let vector): samples = vector
        case .scalar: return .failure(.podsNeedVector("scalar"))
        case .matrix: return .failure(.rangeVector)
        case .string: return .failure(.podsNeedVector("string"))
        }
        guard !samples.isEmpty else { return .failure(.noData) }
        var readings: [String: Reading] = [:]
        for sample in samples {
            guard let pod = sample.labels["pod"], !pod.isEmpty else { return .failure(.podLabelMissing(labels: sample.labels)) }
            guard readings[pod] == nil else { return .failure(.duplicatePod(pod)) }
            switch quantity(sample.value, dividedBy: 1) {
            case .success(let value): readings[pod] = Reading(value: value, sampleTime: sample.time, text: sample.value)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(readings)
    }

    /// Prometheus's value text as a milli-Quantity, rounded once to the nearest thousandth.
    public static func quantity(_ text: String, dividedBy divisor: Int) -> Result<Quantity, MetricError> {
        switch text {
        case "NaN", "+Inf", "-Inf", "Inf": return .failure(.notFinite(text))
        default: break
        }
        do {
            return .success(try Quantity(parsing: text).roundedToMilli(dividingBy: divisor))
        } catch .invalid {
            return .failure(.prometheus(.undecodable(reason: "sample value '\(text)' is not a number")))
        } catch {
            return .failure(.outOfRange(text))
        }
    }
}
