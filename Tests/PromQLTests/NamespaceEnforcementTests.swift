import PromQL
import Testing

@Suite struct NamespaceEnforcementTests {
    let enforcement = NamespaceEnforcement(label: "namespace", exempt: ["platform"])

    func rewrite(_ query: String, _ namespace: String = "team-a") throws -> String {
        try enforcement.enforce(PromQL.parse(query), namespace: namespace).description
    }

    @Test func everySelectorGetsTheNamespaceMatcher() throws {
        #expect(try rewrite("up") == #"up{namespace="team-a"}"#)
        #expect(try rewrite(#"sum(rate(http_requests_total{app="shop"}[2m]))"#) == #"sum(rate(http_requests_total{app="shop", namespace="team-a"}[2m]))"#)
        #expect(try rewrite("a / on (x) group_left b offset 5m") == #"a{namespace="team-a"} / on (x) group_left () b{namespace="team-a"} offset 5m"#)
        #expect(try rewrite("max_over_time(rate(x[1m])[1h:1m] @ end())") == #"max_over_time(rate(x{namespace="team-a"}[1m])[1h:1m] @ end())"#)
        #expect(try rewrite(#"{__name__=~"http_.*"}"#) == #"{__name__=~"http_.*", namespace="team-a"}"#)
        #expect(try rewrite(#"label_replace(up, "namespace", "team-b", "", "")"#) == #"label_replace(up{namespace="team-a"}, "namespace", "team-b", "", "")"#)
        #expect(try rewrite("vector(1) + scalar(x)") == #"vector(1) + scalar(x{namespace="team-a"})"#)
    }

    @Test func aMatcherThatSelectsOnlyTheNamespaceIsKept() throws {
        #expect(try rewrite(#"up{namespace="team-a"}"#) == #"up{namespace="team-a"}"#)
        #expect(try rewrite(#"up{namespace=~"team-a"}"#) == #"up{namespace=~"team-a"}"#)
        #expect(try rewrite(#"up{namespace=~"team\\.a"}"#, "team.a") == #"up{namespace=~"team\\.a"}"#)
    }

    /// `info(v)` joins `target_info` series the query does not name, of every namespace: refused
    /// where enforcement applies; with its selector argument, that selector stays in the namespace.
    /// Namespaces are compared byte for byte, as Prometheus compares: the Kelvin sign is not "K",
    /// though Swift's == takes the two as equal.
    @Test func namespacesAreComparedByteForByte() throws {
        #expect(throws: NamespaceEnforcement.Refusal.self) { try rewrite(#"up{namespace=~"\\x{212A}"}"#, "K") }
        #expect(throws: NamespaceEnforcement.Refusal.self) { try rewrite("up{namespace=\"\u{212A}\"}", "K") }
        #expect(try rewrite(#"up{namespace=~"K"}"#, "K") == #"up{namespace=~"K"}"#)
    }

    @Test func infoWithoutItsSelectorIsRefused() throws {
        for query in ["info(up)", "sum(info(rate(x[5m])))", "up / on (instance) info(up)"] {
            do {
                _ = try rewrite(query)
                Issue.record("\(query) was enforced")
            } catch {
                #expect(error as? NamespaceEnforcement.Refusal == .implicitSelection(function: "info", namespace: "team-a"))
                #expect("\(error)".hasPrefix("info() with one argument reads target_info series of every namespace"))
            }
        }
        #expect(try rewrite(#"info(up, {k8s_cluster_name=~".+"})"#) == #"info(up{namespace="team-a"}, {k8s_cluster_name=~".+", namespace="team-a"})"#)
        #expect(try rewrite("info(up)", "platform") == "info(up)")
    }

    @Test func aMatcherThatCouldSelectAnotherNamespaceIsRefusedAndNamed() throws {
        let attempts = [
            #"up{namespace!="team-a"}"#, #"up{namespace="team-b"}"#, #"up{namespace=~".+"}"#, #"up{namespace=~"team-a|team-b"}"#,
            #"up{namespace=~"team-.*"}"#, #"up{namespace!~"x"}"#, #"up{namespace=""}"#, #"up{namespace=~"team.a"}"#,
            #"sum(up) or on () sum(up{namespace="team-b"})"#, #"absent(up{namespace="team-b"})"#,
        ]
        for query in attempts {
            #expect(throws: NamespaceEnforcement.Refusal.self, "\(query)") { try rewrite(query) }
        }
        do {
            _ = try rewrite(#"sum(up{namespace!="team-a"})"#)
        } catch {
            #expect(
                "\(error)"
                    == #"the matcher namespace!="team-a" could select series of namespaces other than team-a: queries from namespace team-a may only use namespace="team-a", or leave it out (it is added)"#
            )
        }
    }

    @Test func exemptNamespacesRunTheirQueriesAsWritten() throws {
        let query = #"sum(up{namespace=~".+"})"#
        #expect(try rewrite(query, "platform") == "sum(up{namespace=~\".+\"})")
    }

    @Test func theLabelIsTheConfiguredOne() throws {
        let tenant = NamespaceEnforcement(label: "kubernetes_namespace")
        #expect(try tenant.enforce(PromQL.parse(#"up{namespace="x"}"#), namespace: "a").description == #"up{namespace="x", kubernetes_namespace="a"}"#)
    }
}
