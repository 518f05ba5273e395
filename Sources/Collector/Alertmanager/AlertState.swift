import Foundation
import KubeModel

/// The firing alerts the operator knows, by fingerprint, and the metric values made of them. Pure:
/// webhooks and API reads come in as values, `now` is passed in.
///
/// Unknown is not zero: until Alertmanager's state is known, every value is an error. When the
/// state is listed from Alertmanager's API, only a list makes it known (a webhook tells of one
/// group of alerts), and a list older than `maxListAge` makes it unknown again; webhooks alone
/// make it known with the first one. A resolved alert, or one past its `endsAt`, drops out at once.
public struct AlertState: Sendable, Hashable {
    public private(set) var firing: [String: ReceivedAlert] = [:]
    /// False until Alertmanager's state has been read once.
    public private(set) var known = false
    /// When the last full list was read; nil: never, or no lists are read.
    public private(set) var listedAt: Date?
    /// nil: the state comes from webhooks alone. Else how old a list may be before the state is
    /// unknown again (Alertmanager has not been read for that long).
    public let maxListAge: Duration?

    public init(maxListAge: Duration? = nil) {
        self.maxListAge = maxListAge
    }

    /// A webhook's alerts: firing ones are kept, resolved ones dropped.
    public mutating func apply(_ alerts: [ReceivedAlert]) {
        for alert in alerts { firing[alert.fingerprint] = alert.firing ? alert : nil }
        if maxListAge == nil { known = true }
    }

    /// Alertmanager's whole list (`GET /api/v2/alerts`), read at `time`: it replaces what was known.
    public mutating func replace(with alerts: [ReceivedAlert], at time: Date) {
        firing = Dictionary(alerts.filter(\.firing).map { ($0.fingerprint, $0) }) { _, last in last }
        known = true
        listedAt = time
    }

    /// Which alerts feed one workload's metric.
    public struct Selector: Sendable, Hashable {
        public var alertname: String
        public var namespace: String
        /// The label naming the workload (`deployment`, `statefulset`, or the configured one).
        public var workloadLabel: String
        public var workload: String
        /// Extra label equalities.
        public var matchLabels: [String: String]

        public init(alertname: String, namespace: String, workloadLabel: String, workload: String, matchLabels: [String: String] = [:]) {
            self.alertname = alertname
            self.namespace = namespace
            self.workloadLabel = workloadLabel
            self.workload = workload
            self.matchLabels = matchLabels
        }

        func matches(_ alert: ReceivedAlert) -> Bool {
            alert.labels["alertname"] == alertname && alert.labels["namespace"] == namespace && alert.labels[workloadLabel] == workload
                && matchLabels.allSatisfy { alert.labels[$0.key] == $0.value }
        }
    }

    /// The sum over the matching firing alerts of each one's `value` (label, else annotation: the
    /// rule's `{{ $value }}`), an alert without one counting 1: so alerts without values give
    /// their count. No matching alert is 0: the state is known and nothing fires.
    public func value(_ selector: Selector, now: Date) -> Result<Double, AlertValueError> {
        guard known else { return .failure(.unknown) }
        if let maxListAge, let listedAt, now.timeIntervalSince(listedAt) > maxListAge.seconds {
            return .failure(.outdated(seconds: Int(now.timeIntervalSince(listedAt)), maxSeconds: Int(maxListAge.seconds)))
        }
        var total = 0.0
        for alert in firing.values where selector.matches(alert) && (alert.endsAt.map { $0 > now } ?? true) {
            guard let text = alert.labels["value"] ?? alert.annotations["value"] else {
                total += 1
                continue
            }
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                return .failure(.notANumber(alert: alert.fingerprint, text: text))
            }
            total += value
        }
        return .success(total)
    }
}

public enum AlertValueError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing read from Alertmanager yet (after a start): never served as 0.
    case unknown
    /// Alertmanager's API has not answered for longer than the list may be old.
    case outdated(seconds: Int, maxSeconds: Int)
    case notANumber(alert: String, text: String)

    public var description: String {
        switch self {
        case .unknown: return "Alertmanager's alerts are not known yet (no webhook received and no list read since the start)"
        case .outdated(let seconds, let maxSeconds):
            return "Alertmanager's alerts were last read \(seconds) s ago, more than the \(maxSeconds) s they may be old; its API is not answering"
        case .notANumber(let alert, let text):
            return "alert \(ExternalText.sanitized(alert, limit: 40)) has value '\(ExternalText.sanitized(text, limit: 60))', not a number"
        }
    }
}
