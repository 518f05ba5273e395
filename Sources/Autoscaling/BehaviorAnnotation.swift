import DecodingErrorText
import KubeModel
import Yams

/// The `behavior` annotation: an autoscaling/v2 `behavior` written as YAML or JSON, checked with
/// the apiserver's rules so a mistake is reported on the workload instead of as a 422 later.
enum BehaviorAnnotation {
    struct Problem: Error {
        var message: String
    }

    static let windowRange: ClosedRange<Int32> = 0...3600
    static let periodRange: ClosedRange<Int32> = 1...1800

    static func parse(_ text: String) -> Result<HorizontalPodAutoscalerBehavior, Problem> {
        // Anchors and aliases have no use in a behavior, and expanded they can make a few hundred
        // bytes into gigabytes (billion laughs): refused before any YAML is read.
        if let marker = anchorOrAlias(in: text) {
            return .failure(Problem(message: "uses a YAML \(marker == "&" ? "anchor" : "alias") ('\(marker)'): anchors and aliases are not accepted in annotations; write the values out"))
        }
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            return .failure(Problem(message: "is not valid YAML or JSON: \(YAMLErrorText.describe(error))"))
        }
        guard let root = document as? [String: Any] else {
            return .failure(Problem(message: "must be a mapping with scaleUp and/or scaleDown, as in an HPA's spec.behavior"))
        }
        if let unknown = unknownFields(root) {
            return .failure(Problem(message: "\(unknown): unknown field (known: scaleUp, scaleDown; stabilizationWindowSeconds, selectPolicy, policies, tolerance; type, value, periodSeconds)"))
        }
        let behavior: HorizontalPodAutoscalerBehavior
        do {
            behavior = try YAMLDecoder().decode(HorizontalPodAutoscalerBehavior.self, from: text)
        } catch {
            return .failure(Problem(message: "is not an autoscaling/v2 behavior: \(DecodingErrorText.describe(error))"))
        }
        let problems = [("scaleUp", behavior.scaleUp), ("scaleDown", behavior.scaleDown)].flatMap { side, rules in
            rules.map { check($0, at: side) } ?? []
        }
        if let first = problems.first { return .failure(Problem(message: first)) }
        return .success(behavior)
    }

    /// The first `&` or `*` outside quoted text and comments: YAML's anchor and alias markers.
    static func anchorOrAlias(in text: String) -> Character? {
        var quote: Character?
        var comment = false
        for character in text {
            if comment {
                if character == "\n" { comment = false }
                continue
            }
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "\"", "'": quote = character
            case "#": comment = true
            case "&", "*": return character
            default: continue
            }
        }
        return nil
    }

    /// The path of the first field the HPA API does not have, so typos are not silently dropped.
    private static func unknownFields(_ root: [String: Any]) -> String? {
        let ruleFields: Set<String> = ["stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"]
        let policyFields: Set<String> = ["type", "value", "periodSeconds"]
        for key in root.keys.sorted() {
            guard key == "scaleUp" || key == "scaleDown" else { return key }
            guard let rules = root[key] as? [String: Any] else { continue }
            if let bad = rules.keys.sorted().first(where: { !ruleFields.contains($0) }) { return "\(key).\(bad)" }
            for (index, policy) in ((rules["policies"] as? [Any]) ?? []).enumerated() {
                if let bad = (policy as? [String: Any])?.keys.sorted().first(where: { !policyFields.contains($0) }) {
                    return "\(key).policies[\(index)].\(bad)"
                }
            }
        }
        return nil
    }

    private static func check(_ rules: HPAScalingRules, at side: String) -> [String] {
        var problems: [String] = []
        if let window = rules.stabilizationWindowSeconds, !windowRange.contains(window) {
            problems.append("\(side).stabilizationWindowSeconds: must be from 0 to 3600, got \(window)")
        }
        if let policy = rules.selectPolicy, !["Max", "Min", "Disabled"].contains(policy) {
            problems.append("\(side).selectPolicy: must be Max, Min or Disabled, got '\(policy)'")
        }
        if let tolerance = rules.tolerance, tolerance.sign < 0 {
            problems.append("\(side).tolerance: must be greater than or equal to 0, got \(tolerance)")
        }
        // As the apiserver says it (checked on kube-apiserver v1.26): an empty list is refused.
        if let policies = rules.policies, policies.isEmpty {
            problems.append("\(side).policies: must specify at least one policy (leave policies out for the default ones)")
        }
        for (index, policy) in (rules.policies ?? []).enumerated() {
            let path = "\(side).policies[\(index)]"
            if !["Pods", "Percent"].contains(policy.type) {
                problems.append("\(path).type: must be Pods or Percent, got '\(policy.type)'")
            }
            if policy.value <= 0 {
                problems.append("\(path).value: must be greater than 0, got \(policy.value)")
            }
            if !periodRange.contains(policy.periodSeconds) {
                problems.append("\(path).periodSeconds: must be from 1 to 1800, got \(policy.periodSeconds)")
            }
        }
        return problems
    }
}
