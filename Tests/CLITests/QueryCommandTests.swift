import Foundation
import Hummingbird
import Synchronization
import TestSupport
import Testing

@Suite struct QueryCommandTests {
    static let data = """
        # TYPE http_requests counter
        http_requests_total{app="shop",pod="shop-1"} 100 1700000000
        http_requests_total{app="shop",pod="shop-1"} 700 1700000060
        http_requests_total{app="shop",pod="shop-2"} 100 1700000000
        http_requests_total{app="shop",pod="shop-2"} 400 1700000060
        # EOF

        """
    static let rps = #"sum(rate(http_requests_total{app="shop"}[2m]))"#

    @Test func printsWhatTheCollectorWouldServeOrItsError() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: Self.data)
        defer { prometheus.stop() }
        let common = ["query", "--prometheus-server", prometheus.url, "--time", "2023-11-14T22:14:20Z"]

        let value = try await CLI.run(common + [Self.rps])
        #expect(value.status == 0)
        #expect(
            value.stdout == """
                value:    9.166666666666666
                quantity: 9167m
                time:     2023-11-14T22:14:20Z (1700000060)

                """)

        let perReplica = try await CLI.run(common + ["--per-replica", "2", Self.rps])
        #expect(perReplica.stdout.contains("value:    9.166666666666666 / 2 replicas\nquantity: 4583m\n"))

        let pods = try await CLI.run(common + ["--pods", #"sum by (pod) (rate(http_requests_total{app="shop"}[2m]))"#])
        #expect(
            pods.stdout == """
                shop-1\t5833m\t(5.833333333333333 at 2023-11-14T22:14:20Z (1700000060))
                shop-2\t3333m\t(3.333333333333333 at 2023-11-14T22:14:20Z (1700000060))

                """)

        let twoSeries = try await CLI.run(common + ["rate(http_requests_total[2m])"])
        #expect(twoSeries.status == 1)
        #expect(twoSeries.stdout.isEmpty)
        #expect(twoSeries.stderr == "error: query returned 2 series; aggregate with sum() or max()\n")

        let empty = try await CLI.run(common + [#"http_requests_total{app="none"}"#])
        #expect(empty.status == 1)
        #expect(empty.stderr == "error: no data: the query returned an empty vector (it is never taken as 0)\n")

        let syntax = try await CLI.run(common + ["sum("])
        #expect(syntax.status == 1)
        #expect(syntax.stderr == "error: query: unexpected end of input at column 5, expected an expression\n")

        let unix = try await CLI.run(["query", "--prometheus-server", prometheus.url, "--time", "1700000060", Self.rps])
        #expect(unix.stdout.contains("quantity: 9167m"))
    }

    @Test func unusableArgumentsAreRefusedBeforeAnyQuery() async throws {
        let noServer = try await CLI.run(["query", "vector(1)"])
        #expect(noServer.status == 64)
        #expect(noServer.stderr.contains("give --prometheus-server URL"))

        let badTime = try await CLI.run(["query", "--prometheus-server", "http://127.0.0.1:1", "--time", "yesterday", "vector(1)"])
        #expect(badTime.status == 64)
        #expect(badTime.stderr.contains("--time: 'yesterday' is neither RFC 3339"))

        let badURL = try await CLI.run(["query", "--prometheus-server", "prometheus:9090", "vector(1)"])
        #expect(badURL.status == 64)
        #expect(badURL.stderr.contains("--prometheus-server: 'prometheus:9090' is not an http(s) URL"))

        let down = try await CLI.run(["query", "--prometheus-server", "http://127.0.0.1:\(try freePort())", "vector(1)"])
        #expect(down.status == 1)
        #expect(down.stderr.contains("is unreachable: connection refused"))
    }

    @Test func withEnforcementTheQueryIsRewrittenIntoTheNamespaceOrRefused() async throws {
        let prometheus = try await PrometheusFixture.start(
            openMetrics: """
                # TYPE queue_depth gauge
                queue_depth{namespace="team-a",queue="orders"} 5 1700000000
                queue_depth{namespace="team-b",queue="orders"} 50 1700000000
                # EOF

                """)
        defer { prometheus.stop() }
        let common = ["query", "--prometheus-server", prometheus.url, "--time", "1700000000", "--enforce-namespace-label", "namespace"]

        let inside = try await CLI.run(common + ["--namespace", "team-a", "sum(queue_depth)"])
        #expect(inside.status == 0)
        #expect(inside.stdout.hasPrefix(#"query: sum(queue_depth{namespace="team-a"})"# + "\nvalue:    5\n"))
        // kubectl's -n; --timeout is the old spelling of --query-timeout, still read, with a warning.
        let short = try await CLI.run(common + ["-n", "team-a", "--timeout", "5s", "sum(queue_depth)"])
        #expect(short.status == 0 && short.stdout == inside.stdout)
        #expect(short.stderr.contains("warning: --timeout is deprecated; use --query-timeout"), "\(short.stderr)")

        let refused = try await CLI.run(common + ["--namespace", "team-a", #"sum(queue_depth{namespace=~"team-.*"})"#])
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.hasPrefix(#"error: query: the matcher namespace=~"team-.*" could select series of namespaces other than team-a"#))

        let exempt = try await CLI.run(common + ["--namespace", "monitoring", "--enforce-namespace-label-exempt", "monitoring,kube-system", "sum(queue_depth)"])
        #expect(exempt.stdout.hasPrefix("query: sum(queue_depth)\nvalue:    55\n"))

        let noNamespace = try await CLI.run(common + ["sum(queue_depth)"])
        #expect(noNamespace.status == 64)
        #expect(noNamespace.stderr.contains("--enforce-namespace-label needs --namespace"))

        let badLabel = try await CLI.run(["query", "--prometheus-server", prometheus.url, "--enforce-namespace-label", "name-space", "--namespace", "a", "up"])
        #expect(badLabel.status == 64)
        #expect(badLabel.stderr.contains("--enforce-namespace-label: 'name-space' is not a label name"))
    }

    @Test func tenantHeadersAndParametersReachTheServer() async throws {
        let seen = Mutex<[(headers: [String: String], target: String)]>([])
        let server = try await TestHTTPServer.start { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            seen.withLock { $0.append((headers, request.uri.description)) }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        string: #"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}"#)))
        }
        defer { Task { await server.stop() } }
        let result = try await CLI.run([
            "query", "--prometheus-server", server.url, "--prometheus-tenant-header", "X-Scope-OrgID",
            "--prometheus-header", "X-Extra: one", "--prometheus-query-param", "dedup=true", "--namespace", "team-a", "vector(1)",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let request = try #require(seen.withLock { $0.first })
        #expect(request.headers["x-scope-orgid"] == "team-a")
        #expect(request.headers["x-extra"] == "one")
        #expect(request.target.hasSuffix("&dedup=true"))

        let noNamespace = try await CLI.run(["query", "--prometheus-server", server.url, "--prometheus-tenant-header", "X-Scope-OrgID", "vector(1)"])
        #expect(noNamespace.status == 64)
        #expect(noNamespace.stderr.contains("--prometheus-tenant-header needs --namespace"))
        let badHeader = try await CLI.run(["query", "--prometheus-server", server.url, "--prometheus-header", "no colon here", "vector(1)"])
        #expect(badHeader.status == 64)
        #expect(badHeader.stderr.contains("--prometheus-header: 'no colon here' is not [ALIAS=]Name:Value"))
        let reserved = try await CLI.run(["query", "--prometheus-server", server.url, "--prometheus-query-param", "query=up", "vector(1)"])
        #expect(reserved.status == 64)
        #expect(reserved.stderr.contains("'query' is set by the collector itself"))
    }
}
