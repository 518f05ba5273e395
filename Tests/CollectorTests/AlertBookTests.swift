import Foundation
import KubeModel
import Testing

@testable import Collector

/// Alertmanager metrics from the HPA's annotations to the store's values (#21): the planner, the
/// book that turns alerts into values, and the webhook's authentication and body checks.
@Suite struct AlertBookTests {
    static let now = Date(timeIntervalSince1970: 1_796_000_000)
    static let workloadSelector = ["hpa-operator/workload": "shop"]

    static func hpa(_ config: [String: String], kind: String = "Deployment") -> HorizontalPodAutoscaler {
        var annotations: [String: String] = [:]
        for (key, value) in config { annotations["metric-config.external.scale.alertmanager/\(key)"] = value }
        return HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "shop", namespace: "prod", annotations: annotations),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: kind, name: "shop"), minReplicas: 1, maxReplicas: 10,
                metrics: [
                    MetricSpec(
                        external: ExternalMetricSource(
                            metric: MetricIdentifier(name: "scale", selector: LabelSelector(matchLabels: workloadSelector)),
                            target: .value(Quantity(30))))
                ]))
    }

    static func plan(_ hpa: HorizontalPodAutoscaler, alertSource: Bool = true) -> MetricPlan {
        MetricPlanner.plan(hpa, servers: PrometheusServers(), settings: CollectionSettings(), alertSource: alertSource)
    }

    static func firing(_ fingerprint: String, workload: String = "shop", value: String? = nil, extra: [String: String] = [:]) -> ReceivedAlert {
        var labels = ["alertname": "HpaTrigger", "namespace": "prod", "deployment": workload].merging(extra) { $1 }
        if let value { labels["value"] = value }
        return ReceivedAlert(fingerprint: fingerprint, labels: labels, firing: true)
    }

    @Test func theAnnotationsNameTheWorkloadsAlerts() throws {
        let plan = Self.plan(Self.hpa(["alertname": "HpaTrigger", "workload-label": "deployment", "match-labels": #"{"action":"scale-out"}"#]))
        #expect(plan.problems.isEmpty && plan.metrics.isEmpty)
        let alert = try #require(plan.alerts.first)
        #expect(alert.key == .external(ExternalMetricKey(namespace: "prod", metric: "scale", labels: Self.workloadSelector)))
        #expect(
            alert.selector
                == AlertState.Selector(
                    alertname: "HpaTrigger", namespace: "prod", workloadLabel: "deployment", workload: "shop",
                    matchLabels: ["action": "scale-out"]))
        // Without workload-label the kind names the label.
        #expect(Self.plan(Self.hpa(["alertname": "HpaTrigger"], kind: "StatefulSet")).alerts.first?.selector.workloadLabel == "statefulset")
    }

    @Test(arguments: [
        (["workload-label": "deployment"], "metric-config.external.scale.alertmanager/alertname: an alertmanager metric needs an alertname"),
        (["alertname": "A", "match-labels": "{"], "metric-config.external.scale.alertmanager/match-labels: "),
        (["alertname": "A", "workload-label": "a-b"], "metric-config.external.scale.alertmanager/workload-label: 'a-b' is not a label name"),
    ])
    func badConfigsAreProblemsNotMetrics(config: [String: String], message: String) {
        let plan = Self.plan(Self.hpa(config))
        #expect(plan.alerts.isEmpty)
        #expect(plan.problems.contains { $0.description.hasPrefix(message) }, "\(plan.problems)")
    }

    @Test func withoutAnAlertmanagerSourceTheOperatorSaysSo() {
        let plan = Self.plan(Self.hpa(["alertname": "HpaTrigger"]), alertSource: false)
        #expect(plan.alerts.isEmpty)
        #expect(plan.problems.map(\.description).contains { $0.contains("--alertmanager-url") })
    }

    @Test func theBookFailsClosedThenFollowsTheAlerts() throws {
        let store = MetricStore()
        let book = AlertBook(store: store, maxListAge: .seconds(45))
        let planned = Self.plan(Self.hpa(["alertname": "HpaTrigger"])).alerts
        let key = try #require(planned.first?.key)
        book.subscribe(ObjectKey(namespace: "prod", name: "shop"), planned, now: Self.now)
        #expect(store.reading(key, now: Self.now) == .failure(.alerts(.unknown)), "unknown is never 0")
        book.listed([Self.firing("a", value: "42"), Self.firing("b"), Self.firing("c", workload: "other")], now: Self.now)
        #expect(store.reading(key, now: Self.now) == .success(.value(Quantity(43))))
        book.received([ReceivedAlert(fingerprint: "a", labels: [:], firing: false)], now: Self.now)
        #expect(store.reading(key, now: Self.now) == .success(.value(Quantity(1))))
        // No list for longer than 45 s: the value is an error again, on the next refresh.
        book.refresh(now: Self.now.addingTimeInterval(46))
        #expect(store.reading(key, now: Self.now.addingTimeInterval(46)) == .failure(.alerts(.outdated(seconds: 46, maxSeconds: 45))))
        book.listed([], now: Self.now.addingTimeInterval(47))
        #expect(store.reading(key, now: Self.now.addingTimeInterval(47)) == .success(.value(Quantity(0))))
        // The HPA is gone: so is its metric.
        book.subscribe(ObjectKey(namespace: "prod", name: "shop"), [], now: Self.now)
        #expect(store.reading(key, now: Self.now) == nil)
    }

    @Test func aBadValueIsAnErrorNamingTheAlert() throws {
        let store = MetricStore()
        let book = AlertBook(store: store)
        let planned = Self.plan(Self.hpa(["alertname": "HpaTrigger"])).alerts
        book.subscribe(ObjectKey(namespace: "prod", name: "shop"), planned, now: Self.now)
        book.received([Self.firing("a", value: "NaN")], now: Self.now)
        let reading = store.reading(try #require(planned.first?.key), now: Self.now)
        #expect(reading == .failure(.alerts(.notANumber(alert: "a", text: "NaN"))))
    }

    // MARK: The webhook

    static let webhook = AlertWebhook(token: { "s3cret" })

    @Test(
        arguments: [
            (nil, "a bearer token is required"),
            ("s3cret", "a bearer token is required"),
            ("Basic czNjcmV0", "a bearer token is required"),
            ("Bearer ", "a bearer token is required"),
            ("Bearer s3cre", "the bearer token is not the receiver's"),
            ("Bearer s3cret2", "the bearer token is not the receiver's"),
            ("Bearer S3CRET", "the bearer token is not the receiver's"),
        ] as [(String?, String)])
    func withoutTheTokenAWebhookIs401(authorization: String?, reason: String) throws {
        let refusal = try #require(Self.webhook.refusal(authorization: authorization))
        #expect(refusal.status == 401 && refusal.reason.hasPrefix(reason), "\(refusal)")
    }

    @Test func theTokenIsAccepted() {
        #expect(Self.webhook.refusal(authorization: "Bearer s3cret") == nil)
        #expect(Self.webhook.refusal(authorization: "bearer s3cret") == nil)
        // An unreadable token file refuses everyone; no token provider leaves it to client certificates.
        #expect(AlertWebhook(token: { nil }).refusal(authorization: "Bearer s3cret")?.status == 401)
        #expect(AlertWebhook(token: nil).refusal(authorization: nil) == nil)
    }

    @Test func bodiesAreCheckedAndSized() throws {
        #expect((try? Self.webhook.alerts(in: try AlertmanagerPayloadTests.fixture("webhook-firing.json")).get())?.count == 2)
        guard case .failure(let tooLarge) = Self.webhook.alerts(in: nil), case .failure(let malformed) = Self.webhook.alerts(in: Data("{".utf8)) else {
            Issue.record("accepted")
            return
        }
        #expect(tooLarge.status == 413)
        #expect(malformed.status == 400 && malformed.reason.hasPrefix("not an Alertmanager webhook payload"), "\(malformed)")
    }

    @Test func tokenFilesAreTrimmed() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try "  s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(AlertWebhook.token(inFile: file.path) == "s3cret")
        #expect(AlertWebhook.token(inFile: file.path + "-missing") == nil)
    }
}
