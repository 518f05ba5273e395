import Foundation
import Testing
import TestSupport

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
        #expect(value.stdout == """
            value:    9.166666666666666
            quantity: 9167m
            time:     2023-11-14T22:14:20Z (1700000060)

            """)

        let perReplica = try await CLI.run(common + ["--per-replica", "2", Self.rps])
        #expect(perReplica.stdout.contains("value:    9.166666666666666 / 2 replicas\nquantity: 4583m\n"))

        let pods = try await CLI.run(common + ["--pods", #"sum by (pod) (rate(http_requests_total{app="shop"}[2m]))"#])
        #expect(pods.stdout == """
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
}
