import DecodingErrorText
import Foundation
import KubeModel

/// One alert as Alertmanager sends it: in a webhook (`status` firing or resolved) or from
/// `GET /api/v2/alerts` (`status.state` active, suppressed or unprocessed).
public struct ReceivedAlert: Sendable, Hashable {
    public var fingerprint: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var firing: Bool
    /// nil when Alertmanager sent none (`0001-01-01T00:00:00Z`, Go's zero time).
    public var endsAt: Date?

    public init(fingerprint: String, labels: [String: String], annotations: [String: String] = [:], firing: Bool, endsAt: Date? = nil) {
        self.fingerprint = fingerprint
        self.labels = labels
        self.annotations = annotations
        self.firing = firing
        self.endsAt = endsAt
    }
}

/// Reads Alertmanager's JSON (webhook payload version 4, API v2 alert lists), every refusal worded.
public enum AlertmanagerPayload {
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A webhook body's alerts. Anything but a version-4 payload is refused, saying why.
    public static func webhook(_ body: Data) -> Result<[ReceivedAlert], Problem> {
        let payload: Webhook
        do {
            payload = try JSONDecoder().decode(Webhook.self, from: body)
        } catch {
            return .failure(Problem(description: "not an Alertmanager webhook payload: " + describe(error, in: body)))
        }
        guard payload.version == "4" else {
            return .failure(Problem(description: "webhook payload version '\(ExternalText.sanitized(payload.version, limit: 20))' is not 4 (Alertmanager 0.x sends 4)"))
        }
        return alerts(payload.alerts.map { ($0.fingerprint, $0.labels, $0.annotations, $0.status == "firing", $0.endsAt) })
    }

    /// `GET /api/v2/alerts`: every alert Alertmanager holds; active ones fire.
    public static func apiAlerts(_ body: Data) -> Result<[ReceivedAlert], Problem> {
        let list: [APIAlert]
        do {
            list = try JSONDecoder().decode([APIAlert].self, from: body)
        } catch {
            return .failure(Problem(description: "not an Alertmanager API v2 alert list: " + describe(error, in: body)))
        }
        return alerts(list.map { ($0.fingerprint, $0.labels, $0.annotations, $0.status.state == "active", $0.endsAt) })
    }

    private static func alerts(_ raw: [(String, [String: String], [String: String]?, Bool, String)]) -> Result<[ReceivedAlert], Problem> {
        var alerts: [ReceivedAlert] = []
        for (fingerprint, labels, annotations, firing, endsAt) in raw {
            var ends: Date?
            if !endsAt.hasPrefix("0001-01-01") {
                guard let date = Timestamp.parse(endsAt) else {
                    return .failure(Problem(description: "alert \(ExternalText.sanitized(fingerprint, limit: 40)): endsAt '\(ExternalText.sanitized(endsAt, limit: 40))' is not an RFC 3339 time"))
                }
                ends = date
            }
            alerts.append(ReceivedAlert(fingerprint: fingerprint, labels: labels, annotations: annotations ?? [:], firing: firing, endsAt: ends))
        }
        return .success(alerts)
    }

    private static func describe(_ error: any Error, in body: Data) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty:
            return JSONSyntaxText.problem(in: body) ?? "not JSON"
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\((context.codingPath + [key]).map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "unexpected value at '\(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "."))'"
        default:
            return "unreadable"
        }
    }

    private struct Webhook: Decodable {
        var version: String
        var alerts: [Alert]

        struct Alert: Decodable {
            var status: String
            var labels: [String: String]
            var annotations: [String: String]?
            var endsAt: String
            var fingerprint: String
        }
    }

    private struct APIAlert: Decodable {
        var fingerprint: String
        var labels: [String: String]
        var annotations: [String: String]?
        var endsAt: String
        var status: Status

        struct Status: Decodable {
            var state: String
        }
    }
}
