import Testing

@testable import KubeModel

@Suite("Label selectors")
struct LabelSelectorTests {
    /// Text → client-go's printed form (requirements sorted by key, values sorted).
    @Test(arguments: [
        ("a=b,c!=d,e in (f,g),!h,k", "a=b,c!=d,e in (f,g),!h,k"),
        ("type=prometheus,queue=orders", "queue=orders,type=prometheus"),
        ("app==web", "app=web"),
        ("  app = web ,  tier in ( z , a )", "app=web,tier in (a,z)"),
        ("env notin (prod,dev)", "env notin (dev,prod)"),
        ("example.com/team=core", "example.com/team=core"),
        ("a=", "a="),
        ("", ""),
        ("query-name=customMetricName", "query-name=customMetricName"),
    ])
    func parseAndPrint(text: String, printed: String) throws {
        #expect(try Selector(parsing: text).description == printed)
    }

    @Test(arguments: ["a=b,", ",a", "a b", "a in b", "a in (", "a in ()", "!", "a=b=c", "a in (x y)", "=b"])
    func rejectsMalformedSelectors(text: String) {
        #expect(throws: SelectorParseError.self) { try Selector(parsing: text) }
    }

    @Test func errorQuotesTheSelector() {
        do {
            _ = try Selector(parsing: "a in (")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("invalid label selector 'a in (': "))
        }
    }

    @Test(
        arguments: [
            ("app=web", ["app": "web"], true),
            ("app=web", ["app": "db"], false),
            ("app=web", [:], false),
            ("app!=web", [:], true),
            ("app!=web", ["app": "web"], false),
            ("tier in (a,b)", ["tier": "b"], true),
            ("tier in (a,b)", ["tier": "c"], false),
            ("tier notin (a,b)", [:], true),
            ("tier notin (a,b)", ["tier": "a"], false),
            ("gpu", ["gpu": ""], true),
            ("gpu", [:], false),
            ("!gpu", [:], true),
            ("!gpu", ["gpu": "x"], false),
            ("", ["anything": "goes"], true),
            ("app=web,tier in (a)", ["app": "web", "tier": "a"], true),
            ("app=web,tier in (a)", ["app": "web", "tier": "b"], false),
        ] as [(String, [String: String], Bool)])
    func matching(text: String, labels: [String: String], expected: Bool) throws {
        #expect(try Selector(parsing: text).matches(labels) == expected)
    }

    @Test func structuredSelectorPrintsLikeClientGo() {
        let selector = LabelSelector(
            matchLabels: ["type": "prometheus", "queue": "orders"],
            matchExpressions: [
                LabelSelectorRequirement(key: "env", operator: "In", values: ["prod", "canary"]),
                LabelSelectorRequirement(key: "legacy", operator: "DoesNotExist"),
                LabelSelectorRequirement(key: "zone", operator: "Exists"),
                LabelSelectorRequirement(key: "tier", operator: "NotIn", values: ["db"]),
            ])
        #expect(selector.selector.description == "env in (canary,prod),!legacy,queue=orders,tier notin (db),type=prometheus,zone")
        #expect(selector.selector.matches(["type": "prometheus", "queue": "orders", "env": "prod", "zone": "a"]))
        #expect(!selector.selector.matches(["type": "prometheus", "queue": "orders", "env": "prod"]))
    }
}
