import Foundation
import Testing

@testable import Collector

/// Alertmanager's own bytes (Tests/Fixtures/alertmanager, from Debian's 0.25): the payloads the
/// alert-driven metrics (#21) will be made of, read and turned into values.
@Suite struct AlertmanagerPayloadTests {
    static func fixture(_ name: String) throws -> Data {
        try Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/alertmanager/\(name)"))
    }

    static let web = AlertState.Selector(alertname: "HpaTrigger", namespace: "shop", workloadLabel: "deployment", workload: "web")
    static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-12-01, after the fixtures' alerts started

    @Test func realWebhooksFireThenResolve() throws {
        let firing = try AlertmanagerPayload.webhook(try Self.fixture("webhook-firing.json")).get()
        #expect(firing.map(\.fingerprint) == ["259678c5d427d88e", "92c4615c6fdb3a8a"])
        #expect(firing.allSatisfy { $0.firing && $0.endsAt == nil })
        var state = AlertState()
        #expect(state.value(Self.web, now: Self.now) == .failure(.unknown), "unknown is never 0")
        state.apply(firing)
        // 42 from the first alert's value, 1 for the second, which has none.
        #expect(state.value(Self.web, now: Self.now) == .success(43))
        state.apply(try AlertmanagerPayload.webhook(try Self.fixture("webhook-resolved.json")).get())
        #expect(state.value(Self.web, now: Self.now) == .success(1))
        // Another workload, or extra labels that do not match: nothing fires for it.
        #expect(state.value(AlertState.Selector(alertname: "HpaTrigger", namespace: "shop", workloadLabel: "deployment", workload: "api"), now: Self.now) == .success(0))
        #expect(state.value(AlertState.Selector(alertname: "HpaTrigger", namespace: "shop", workloadLabel: "deployment", workload: "web", matchLabels: ["queue": "a"]), now: Self.now) == .success(0))
    }

    @Test func theAPIListReplacesWhatWasKnown() throws {
        let listed = try AlertmanagerPayload.apiAlerts(try Self.fixture("api-v2-alerts.json")).get()
        #expect(listed.count == 1 && listed[0].firing && listed[0].endsAt != nil)
        var state = AlertState()
        state.apply(try AlertmanagerPayload.webhook(try Self.fixture("webhook-firing.json")).get())
        state.replace(with: listed, at: Self.now)
        #expect(state.firing.keys.sorted() == ["92c4615c6fdb3a8a"])
        // Past its endsAt an alert drops out at once, even without a resolved webhook.
        let ends = try #require(listed[0].endsAt)
        #expect(state.value(Self.web, now: ends.addingTimeInterval(-1)) == .success(1))
        #expect(state.value(Self.web, now: ends.addingTimeInterval(1)) == .success(0))
    }

    @Test func withListsAWebhookAloneIsNotKnownAndAnOldListFailsClosed() throws {
        var state = AlertState(maxListAge: .seconds(45))
        state.apply(try AlertmanagerPayload.webhook(try Self.fixture("webhook-firing.json")).get())
        #expect(state.value(Self.web, now: Self.now) == .failure(.unknown), "a webhook tells of one group, not the whole state")
        state.replace(with: [], at: Self.now)
        #expect(state.value(Self.web, now: Self.now.addingTimeInterval(45)) == .success(0))
        #expect(state.value(Self.web, now: Self.now.addingTimeInterval(50)) == .failure(.outdated(seconds: 50, maxSeconds: 45)))
    }

    @Test(arguments: [
        ("", "not an Alertmanager webhook payload: "),
        ("[]", "not an Alertmanager webhook payload: unexpected value at ''"),
        (#"{"version":"4"}"#, "not an Alertmanager webhook payload: missing 'alerts'"),
        (#"{"version":"3","alerts":[]}"#, "webhook payload version '3' is not 4"),
        (#"{"version":"4","alerts":[{"status":"firing","labels":{},"endsAt":"soon","fingerprint":"f"}]}"#, "alert f: endsAt 'soon' is not an RFC 3339 time"),
        (#"{"version":"4","alerts":[{"status":"firing","labels":{"a":1},"endsAt":"","fingerprint":"f"}]}"#, "unexpected value at 'alerts.0.labels.a'"),
    ])
    func badBodiesSayWhatIsWrong(body: String, message: String) {
        guard case .failure(let problem) = AlertmanagerPayload.webhook(Data(body.utf8)) else {
            Issue.record("accepted \(body)")
            return
        }
        #expect(problem.description.hasPrefix(message) || problem.description.contains(message), "\(problem)")
    }

    @Test func aValueThatIsNotANumberIsAnErrorNotZero() {
        var state = AlertState()
        state.apply([ReceivedAlert(fingerprint: "x", labels: ["alertname": "HpaTrigger", "namespace": "shop", "deployment": "web", "value": "lots"], firing: true)])
        #expect(state.value(Self.web, now: Self.now) == .failure(.notANumber(alert: "x", text: "lots")))
    }
}
