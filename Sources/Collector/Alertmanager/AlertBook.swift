import Foundation
import KubeModel
import Synchronization

/// The alerts this replica knows and the alertmanager metrics made of them: webhooks and API
/// lists come in, and every metric's value is written to the store at once, and again every
/// `refresh` (so an alert past its `endsAt` drops out, and an outdated list fails closed).
public final class AlertBook: Sendable {
    /// What fills the store's alertmanager entries (a store source, like a query's).
    static let source = "alertmanager"
    /// Entries are rewritten every refresh (each second); one not rewritten for this long is not served.
    static let entryMaxAge = Duration.seconds(60)

    private struct State {
        var alerts: AlertState
        var subscribers: [ObjectKey: [PlannedAlert]] = [:]
    }

    private let state: Mutex<State>
    private let store: MetricStore

    /// - Parameter maxListAge: nil when only webhooks feed the book; else how old Alertmanager's
    ///   last list may be before the values are errors.
    public init(store: MetricStore, maxListAge: Duration? = nil) {
        self.store = store
        state = Mutex(State(alerts: AlertState(maxListAge: maxListAge)))
    }

    public var alerts: AlertState { state.withLock { $0.alerts } }

    /// Every HPA's alertmanager metrics.
    var plannedAlerts: [ObjectKey: [PlannedAlert]] { state.withLock { $0.subscribers } }

    /// A webhook's alerts.
    public func received(_ alerts: [ReceivedAlert], now: Date) {
        state.withLock { $0.alerts.apply(alerts) }
        refresh(now: now)
    }

    /// Alertmanager's whole list, read at `now`.
    public func listed(_ alerts: [ReceivedAlert], now: Date) {
        state.withLock { $0.alerts.replace(with: alerts, at: now) }
        refresh(now: now)
    }

    /// Sets the alertmanager metrics of one HPA (empty: none, as when it is deleted).
    func subscribe(_ hpa: ObjectKey, _ planned: [PlannedAlert], now: Date) {
        let old = state.withLock { state in
            defer { state.subscribers[hpa] = planned.isEmpty ? nil : planned }
            return state.subscribers[hpa] ?? []
        }
        for gone in Set(old.map(\.key)).subtracting(planned.map(\.key)) { store.remove(gone) }
        for alert in planned { store.expect(alert.key, source: Self.source, maxAge: Self.entryMaxAge, fallback: alert.fallback, now: now) }
        refresh(now: now)
    }

    /// Writes every subscribed metric's value as of `now`.
    public func refresh(now: Date) {
        let values = state.withLock { state in
            state.subscribers.values.joined().map { ($0.key, state.alerts.value($0.selector, now: now)) }
        }
        for (key, value) in values {
            let outcome = value.mapError(MetricError.alerts).flatMap { total in
                Interpretation.quantity(String(total), dividedBy: 1).map(Collected.value)
            }
            store.record(key, outcome, source: Self.source, at: now)
        }
    }
}
