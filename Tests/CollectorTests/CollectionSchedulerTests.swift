import Foundation
import Hummingbird
import KubeModel
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Collector

/// The periodic schedule against a stand-in Prometheus that answers slowly and records when each
/// query came and how many were in flight.
@Suite struct CollectionSchedulerTests {
    final class StandIn: Sendable {
        let asked = Mutex<[String: [ContinuousClock.Instant]]>([:])
        let inFlight = Mutex<(now: Int, most: Int)>((0, 0))
        /// Answers only once this many were in flight together (or after 10 s, a hang bound), so
        /// whether the scheduler runs queries side by side does not depend on timing.
        let company: Int

        init(company: Int = 1) { self.company = company }

        func count(_ query: String) -> Int { asked.withLock { $0[query]?.count ?? 0 } }
        var mostInFlight: Int { inFlight.withLock { $0.most } }

        func start() async throws -> TestHTTPServer {
            try await TestHTTPServer.start { request, _ in
                let query = URLComponents(string: request.uri.description)?.queryItems?.first { $0.name == "query" }?.value ?? ""
                self.asked.withLock { $0[query, default: []].append(.now) }
                self.inFlight.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                defer { self.inFlight.withLock { $0.now -= 1 } }
                _ = try await Poll.until { self.mostInFlight >= self.company }
                try await Task.sleep(for: .milliseconds(100))
                let body = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000060,"5"]}]}}"#
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }

    static func scheduler(maxConcurrentQueries: Int) -> CollectionScheduler {
        let quiet = Logger.quiet("scheduler-test")
        return CollectionScheduler(store: MetricStore(), maxConcurrentQueries: maxConcurrentQueries, replicas: { _ in 1 }, logger: quiet, now: Date.init)
    }

    static func metric(_ name: String, server: String, interval: Duration) -> PlannedMetric {
        PlannedMetric(
            specIndex: 0, key: .object(ObjectMetricKey(namespace: "shop", resource: GroupResource(parsing: "deployments.apps"), name: name, metric: "rps")),
            server: PrometheusServer(url: server), query: "sum(rps{app=\"\(name)\"})", interval: interval, timeout: .seconds(10), maxAge: interval * 3)
    }

    /// Six queries, two at a time: two do run side by side, never more, every query runs again
    /// after its interval (not sooner), and a query whose HPA went is not asked again.
    @Test func atMostTheLimitInFlightEachQueryOncePerIntervalAndNoneForAGoneHPA() async throws {
        let standIn = StandIn(company: 2)
        let server = try await standIn.start()
        let scheduler = Self.scheduler(maxConcurrentQueries: 2)
        let names = (0..<6).map { "app-\($0)" }
        for name in names { await scheduler.apply(ObjectKey(namespace: "shop", name: name), [Self.metric(name, server: server.url, interval: .seconds(1))]) }
        let query = { (name: String) in "sum(rps{app=\"\(name)\"})" }
        #expect(try await Poll.until { names.allSatisfy { standIn.count(query($0)) >= 3 } })
        #expect(standIn.mostInFlight == 2)
        for name in names {
            let times = standIn.asked.withLock { $0[query(name)] ?? [] }
            // The next run is planned an interval after the answer (100 ms here).
            for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= .milliseconds(1100)) }
        }

        await scheduler.apply(ObjectKey(namespace: "shop", name: "app-0"), [])
        let gone = standIn.count(query("app-0"))
        let other = standIn.count(query("app-1"))
        #expect(try await Poll.until { standIn.count(query("app-1")) >= other + 2 })
        // At most the run that was in flight when it went.
        #expect(standIn.count(query("app-0")) <= gone + 1)
        await scheduler.stop()
        await server.stop()
    }

    /// Every worker idle, waiting for a run due in an hour: a query added now runs now.
    @Test func aQueryAddedWhileTheWorkersWaitRunsAtOnce() async throws {
        let standIn = StandIn()
        let server = try await standIn.start()
        let scheduler = Self.scheduler(maxConcurrentQueries: 2)
        await scheduler.apply(ObjectKey(namespace: "shop", name: "slow"), [Self.metric("slow", server: server.url, interval: .seconds(3600))])
        #expect(try await Poll.until { standIn.count(#"sum(rps{app="slow"})"#) == 1 })
        await scheduler.apply(ObjectKey(namespace: "shop", name: "new"), [Self.metric("new", server: server.url, interval: .seconds(3600))])
        // Well before the hour the workers were waiting for.
        #expect(try await Poll.until { standIn.count(#"sum(rps{app="new"})"#) == 1 })
        await scheduler.stop()
        await server.stop()
    }
}
