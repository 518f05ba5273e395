import Foundation

/// The match labels of an alertmanager metric (the workload's `…/matchLabels` annotation, the
/// HPA's `match-labels` metric config): a JSON object of label equalities.
public enum AlertLabels {
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The labels every alert of a workload is matched on already; matchLabels cannot set them.
    public static let implied: Set<String> = ["alertname", "namespace"]

    public static func parse(_ text: String) -> Result<[String: String], Problem> {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: Data(text.utf8))
        } catch {
            return .failure(Problem(description: "\(error.description); give a JSON object of label equalities, like {\"severity\":\"page\"}"))
        }
        guard case .object(let members) = json else {
            return .failure(Problem(description: "must be a JSON object of label equalities, like {\"severity\":\"page\"}"))
        }
        var labels: [String: String] = [:]
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            guard isValidName(name) else {
                return .failure(Problem(description: "'\(ExternalText.sanitized(name, limit: 60))' is not a label name (letters, digits and '_', not starting with a digit)"))
            }
            guard !implied.contains(name) else {
                return .failure(Problem(description: "cannot match on '\(name)': it comes from the alertname annotation and the workload's namespace"))
            }
            guard case .string(let text) = value else {
                return .failure(Problem(description: "label '\(name)' must be a string"))
            }
            labels[name] = text
        }
        return .success(labels)
    }

    /// Prometheus's label name syntax.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
