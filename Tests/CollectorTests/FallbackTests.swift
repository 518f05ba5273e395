import Foundation
import KubeModel
import Testing

@testable import Collector

@Suite("Fallback: the value that makes the HPA controller propose fallbackReplicas")
struct FallbackTests {
    static let target = ScaleTarget(namespace: "prod", kind: "Deployment", name: "shop", apiVersion: "apps/v1")
    static let hpa = ObjectKey(namespace: "prod", name: "shop")
    static let start = Date(timeIntervalSince1970: 1_000_000)

    static func rule(_ target: FallbackRule.Target, replicas: Int32 = 4, after: Duration = .seconds(90)) -> FallbackRule {
        FallbackRule(replicas: replicas, after: after, target: target, hpa: hpa, metric: "rps", scaleTarget: Self.target)
    }

    /// The HPA controller's proposal for one metric (pkg/controller/podautoscaler, replica_calculator.go):
    /// AverageValue `ceil(usage / target)`; Value `ceil(usage / target × ready)`; within the 10 %
    /// tolerance of the current count, the current count. Usage and target in milli-units.
    static func proposal(_ rule: FallbackRule, served: Quantity, current: Int) throws -> Int {
        let usage = Double(try served.milliValue())
        switch rule.target {
        case .averageValue(let target):
            let milli = Double(try target.milliValue())
            if abs(usage / (milli * Double(current)) - 1) <= 0.1 { return current }
            return Int((usage / milli).rounded(.up))
        case .value(let target):
            let ratio = usage / Double(try target.milliValue())
            if abs(ratio - 1) <= 0.1 { return current }
            return Int((ratio * Double(current)).rounded(.up))
        }
    }

    @Test(arguments: [1, 2, 3, 7, 9, 10])
    func averageValueProposesExactlyTheFallback(current: Int) throws {
        for target in ["40", "1500m", "0.25", "3", "7k"] {
            let rule = Self.rule(.averageValue(try Quantity(parsing: target)))
            let served = try #require(rule.value(currentReplicas: current))
            #expect(try Self.proposal(rule, served: served, current: current) == 4, "target \(target), current \(current), served \(served)")
        }
    }

    @Test(arguments: [1, 2, 3, 5, 7, 9, 11, 13, 40])
    func valueProposesExactlyTheFallback(current: Int) throws {
        for target in ["40", "1500m", "1", "3", "7k", "333m"] {
            for replicas: Int32 in [1, 2, 4, 7, 10] {
                let rule = Self.rule(.value(try Quantity(parsing: target)), replicas: replicas)
                let served = try #require(rule.value(currentReplicas: current))
                let expected = abs(Double(replicas) / Double(current) - 1) <= 0.1 ? current : Int(replicas)
                #expect(try Self.proposal(rule, served: served, current: current) == expected, "target \(target), current \(current), N \(replicas), served \(served)")
            }
        }
    }

    @Test func valueWaitsForTheReplicas() {
        let rule = Self.rule(.value(Quantity(40)))
        #expect(rule.value(currentReplicas: nil) == nil)
        #expect(rule.value(currentReplicas: 0) == nil)
    }

    @Test func startsExactlyAfterFallbackAfter() {
        let rule = Self.rule(.averageValue(Quantity(40)))
        #expect(!rule.applies(failingSince: Self.start, now: Self.start.addingTimeInterval(89.999)))
        #expect(rule.applies(failingSince: Self.start, now: Self.start.addingTimeInterval(90)))
    }

    // MARK: The store

    static let key = MetricKey.object(ObjectMetricKey(namespace: "prod", resource: GroupResource(resource: "deployments", group: "apps"), name: "shop", metric: "rps"))
    static let failed = Result<Collected, MetricError>.failure(.prometheus(.unreachable(server: "http://prometheus:9090", reason: "connection refused")))

    static func store(_ rule: FallbackRule?, replicas: Int? = 2) -> MetricStore {
        let store = MetricStore(currentReplicas: { _ in replicas })
        store.expect(key, source: "q", maxAge: .seconds(90), fallback: rule, now: start)
        return store
    }

    static func served(_ store: MetricStore, at second: Double) -> Result<MetricValue, MetricError>? {
        store.objects(namespace: "prod", resource: GroupResource(resource: "deployments", group: "apps"), metric: "rps", now: start.addingTimeInterval(second)).first?.reading
    }

    @Test func theStoreServesTheFallbackOnceTheMetricHasFailedLongEnough() throws {
        let store = Self.store(Self.rule(.averageValue(Quantity(40)), after: .seconds(60)))
        store.record(Self.key, .success(.value(Quantity(100))), source: "q", at: Self.start)
        // Failing from second 30: an error until 90, then 4 × 40.
        store.record(Self.key, Self.failed, source: "q", at: Self.start.addingTimeInterval(30))
        store.record(Self.key, Self.failed, source: "q", at: Self.start.addingTimeInterval(60))
        #expect(throws: MetricError.self) { try Self.served(store, at: 89)?.get() }
        #expect(try Self.served(store, at: 90)?.get().value == Quantity(160))
        #expect(store.fallbacks(now: Self.start.addingTimeInterval(90))[Self.key]?.rule.replicas == 4)
        // The first good value ends it.
        store.record(Self.key, .success(.value(Quantity(20))), source: "q", at: Self.start.addingTimeInterval(95))
        #expect(try Self.served(store, at: 95)?.get().value == Quantity(20))
        #expect(store.fallbacks(now: Self.start.addingTimeInterval(95)).isEmpty)
        // And a new failure starts a new count.
        store.record(Self.key, Self.failed, source: "q", at: Self.start.addingTimeInterval(100))
        #expect(throws: MetricError.self) { try Self.served(store, at: 159)?.get() }
        #expect(try Self.served(store, at: 160)?.get().value == Quantity(160))
    }

    @Test func aValueGoneStaleCountsAsFailingFromItsMaxAge() throws {
        let store = Self.store(Self.rule(.averageValue(Quantity(40)), after: .seconds(60)))
        store.record(Self.key, .success(.value(Quantity(100))), source: "q", at: Self.start)
        // Stale from second 90 (max age), so in fallback from 150.
        #expect(throws: MetricError.self) { try Self.served(store, at: 149)?.get() }
        #expect(try Self.served(store, at: 150)?.get().value == Quantity(160))
    }

    @Test func aValueTargetDividesByTheCurrentReplicas() throws {
        let store = Self.store(Self.rule(.value(Quantity(100)), after: .seconds(1)), replicas: 8)
        store.record(Self.key, Self.failed, source: "q", at: Self.start)
        #expect(try Self.served(store, at: 1)?.get().value == Quantity(50))
        // Replicas unknown: the error stays (fail closed).
        let unknown = Self.store(Self.rule(.value(Quantity(100)), after: .seconds(1)), replicas: nil)
        unknown.record(Self.key, Self.failed, source: "q", at: Self.start)
        #expect(throws: MetricError.self) { try Self.served(unknown, at: 5)?.get() }
    }

    @Test func withoutFallbackFailuresStayErrors() {
        let store = Self.store(nil)
        store.record(Self.key, Self.failed, source: "q", at: Self.start)
        #expect(throws: MetricError.self) { try Self.served(store, at: 100_000)?.get() }
        #expect(store.fallbacks(now: Self.start.addingTimeInterval(100_000)).isEmpty)
    }

    @Test func aQueryNotAnsweredYetIsNotFailing() {
        let store = Self.store(Self.rule(.averageValue(Quantity(40)), after: .seconds(1)))
        #expect(throws: MetricError.self) { try Self.served(store, at: 100)?.get() }
    }

    @Test func theRawValueSurvivesPerReplicaDivisionAtZero() throws {
        let store = Self.store(nil)
        store.record(Self.key, .failure(.zeroReplicas(target: "Deployment/shop")), raw: .success(Quantity(7)), source: "q", at: Self.start)
        #expect(try store.rawReading(Self.key, now: Self.start)?.get() == Quantity(7))
        // Stale raw values are not read either.
        #expect(throws: MetricError.self) { try store.rawReading(Self.key, now: Self.start.addingTimeInterval(91))?.get() }
    }

    // MARK: The plan

    @Test func thePlanCarriesTheHPAsFallback() throws {
        let hpa = MetricPlanTests.hpa(
            [
                "metric-config.object.rps.prometheus/query": "sum(x)",
                "metric-config.object.rps.prometheus/interval": "20s",
                "hpa.autoscaling.banzaicloud.io/fallbackReplicas": "4",
            ], metrics: [MetricPlanTests.object("rps")])
        let metric = try #require(MetricPlanTests.plan(hpa).metrics.first)
        #expect(metric.name == "rps")
        #expect(
            metric.fallback
                == FallbackRule(
                    replicas: 4, after: .seconds(60), target: .value(Quantity(40)), hpa: ObjectKey(namespace: "prod", name: "shop"),
                    metric: "rps", scaleTarget: ScaleTarget(namespace: "prod", kind: "Deployment", name: "shop", apiVersion: "apps/v1")))
        var explicit = hpa
        explicit.metadata.annotations?["hpa.autoscaling.banzaicloud.io/fallbackAfter"] = "5m"
        #expect(MetricPlanTests.plan(explicit).metrics.first?.fallback?.after == .seconds(300))
    }

    @Test func theBanzaiExternalFormNamesTheMetricByItsQueryName() throws {
        let hpa = MetricPlanTests.hpa(
            [
                "metric-config.external.prometheus-query.prometheus/rps": "sum(x)",
                "hpa.autoscaling.banzaicloud.io/fallbackReplicas": "2",
            ], metrics: [MetricPlanTests.external("prometheus-query", labels: ["query-name": "rps"])])
        let metric = try #require(MetricPlanTests.plan(hpa).metrics.first)
        #expect(metric.name == "rps")
        #expect(metric.fallback?.target == .averageValue(Quantity(40)))
    }

    @Test func aBadFallbackIsReportedAndTheMetricStillCollected() throws {
        let hpa = MetricPlanTests.hpa(
            [
                "metric-config.object.rps.prometheus/query": "sum(x)",
                "hpa.autoscaling.banzaicloud.io/fallbackReplicas": "many",
            ], metrics: [MetricPlanTests.object("rps")])
        let plan = MetricPlanTests.plan(hpa)
        #expect(plan.metrics.count == 1 && plan.metrics[0].fallback == nil)
        #expect(plan.problems.map(\.description) == ["hpa.autoscaling.banzaicloud.io/fallbackReplicas: 'many' is not a whole number of replicas, at least 1; no fallback is served"])
        var after = hpa
        after.metadata.annotations?["hpa.autoscaling.banzaicloud.io/fallbackReplicas"] = "3"
        after.metadata.annotations?["hpa.autoscaling.banzaicloud.io/fallbackAfter"] = "later"
        #expect(MetricPlanTests.plan(after).problems.map(\.description) == ["hpa.autoscaling.banzaicloud.io/fallbackAfter: 'later' is not a duration (examples: 30s, 1m, 1m30s)"])
    }
}
