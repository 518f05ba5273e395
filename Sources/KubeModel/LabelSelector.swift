/// `metav1.LabelSelector`: the structured form found in workload specs and metric identifiers.
public struct LabelSelector: Codable, Hashable, Sendable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The equivalent requirement list (client-go's `LabelSelectorAsSelector`).
    public var selector: Selector {
        var requirements = (matchLabels ?? [:]).map { LabelRequirement(key: $0.key, operator: .equals, values: [$0.value]) }
        for expression in matchExpressions ?? [] {
            let op: LabelRequirement.Operator
            switch expression.operator {
            case "In": op = .in
            case "NotIn": op = .notIn
            case "Exists": op = .exists
            default: op = .doesNotExist
            }
            requirements.append(LabelRequirement(key: expression.key, operator: op, values: expression.values ?? []))
        }
        return Selector(requirements)
    }
}

public struct LabelSelectorRequirement: Codable, Hashable, Sendable {
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

/// One condition of a selector: `a=b`, `c!=d`, `e in (f,g)`, `e notin (f)`, `k`, `!h`.
public struct LabelRequirement: Hashable, Sendable {
    /// The same requirement with its values in order, for comparing selectors as sets.
    public var normalized: LabelRequirement {
        var copy = self
        copy.values = values.sorted()
        return copy
    }

    public enum Operator: Hashable, Sendable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist
    }

    public var key: String
    public var `operator`: Operator
    /// Sorted and unique, as client-go keeps them.
    public var values: [String]

    public init(key: String, operator: Operator, values: [String] = []) {
        self.key = key
        self.operator = `operator`
        self.values = Array(Set(values)).sorted()
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch self.operator {
        case .equals, .in: return value.map(values.contains) ?? false
        case .notEquals, .notIn: return !(value.map(values.contains) ?? false)
        case .exists: return value != nil
        case .doesNotExist: return value == nil
        }
    }
}

/// A parsed label selector: requirements that must all hold. Empty matches everything.
/// Its text form is client-go's: requirements sorted by key (`queue=orders,type=prometheus`).
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    public private(set) var requirements: [LabelRequirement]

    public init(_ requirements: [LabelRequirement] = []) {
        self.requirements = requirements.sorted { ($0.key, $0.operatorText, $0.values.joined(separator: ",")) < ($1.key, $1.operatorText, $1.values.joined(separator: ",")) }
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }
}

extension LabelRequirement: CustomStringConvertible {
    var operatorText: String {
        switch self.operator {
        case .equals: return "="
        case .notEquals: return "!="
        case .in: return " in "
        case .notIn: return " notin "
        case .exists: return ""
        case .doesNotExist: return "!"
        }
    }

    public var description: String {
        switch self.operator {
        case .equals, .notEquals: return key + operatorText + (values.first ?? "")
        case .in, .notIn: return key + operatorText + "(" + values.joined(separator: ",") + ")"
        case .exists: return key
        case .doesNotExist: return "!" + key
        }
    }
}

extension LabelSelector: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { json in
            if let matchExpressions {
                json.key("matchExpressions")
                json.array(matchExpressions) { json, requirement in
                    json.object { json in
                        json.key("key")
                        json.string(requirement.key)
                        json.key("operator")
                        json.string(requirement.operator)
                        if let values = requirement.values {
                            json.key("values")
                            json.array(values) { json, value in json.string(value) }
                        }
                    }
                }
            }
            if let matchLabels {
                json.key("matchLabels")
                json.map(matchLabels)
            }
        }
    }
}
