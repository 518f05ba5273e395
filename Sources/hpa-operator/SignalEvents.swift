import Collector
import Foundation
import KubeClient
import KubeModel
import Logging
import Operator
import ServiceLifecycle

/// What the per-metric signals are worth saying as events, rate-limited: the winning metric
/// changed (at most once per HPA per `winnerInterval`), and a limit that has held a scale-up back
/// for `limitWindow` (once per episode: the capacity ceiling nobody notices until an incident).
/// Limits that hold a scale-down (minReplicas, scaleDownDisabled, an unreadable metric) cost
/// replicas, not capacity, and are left to `/metrics`.
/// Pure: signals and the time in, events out.
struct SignalEvents {
    static let winnerInterval: TimeInterval = 300
    static let limitWindow: TimeInterval = 900

    struct Said: Equatable {
        var hpa: ObjectKey
        var kind: EventKind
        var reason: String
        var message: String
    }

    private struct Memory {
        var winner: String?
        var winnerSaid: Date?
        /// The limit in force and since when; whether it was said.
        var limit: (name: String, since: Date, said: Bool)?
    }

    private var memory: [ObjectKey: Memory] = [:]

    mutating func observe(_ hpas: [MetricSignals.HPA], metrics: [MetricSignals.Metric], maxReplicas: [ObjectKey: Int32], now: Date) -> [Said] {
        var said: [Said] = []
        var seen: Set<ObjectKey> = []
        for hpa in hpas {
            let key = ObjectKey(namespace: hpa.namespace, name: hpa.hpa)
            seen.insert(key)
            var remembered = memory[key] ?? Memory()
            let proposals = metrics.filter { $0.namespace == hpa.namespace && $0.hpa == hpa.hpa }
            if let winner = hpa.winner {
                if let before = remembered.winner, before != winner,
                    remembered.winnerSaid.map({ now.timeIntervalSince($0) >= Self.winnerInterval }) ?? true
                {
                    let proposal = proposals.first { $0.metric == winner }?.proposal.map { " (proposes \($0))" } ?? ""
                    said.append(
                        Said(
                            hpa: key, kind: .normal, reason: "MetricWinnerChanged",
                            message: "Metric \(winner) now decides the replicas\(proposal); before, \(before) did"))
                    remembered.winnerSaid = now
                }
                remembered.winner = winner
            }
            if let limit = hpa.limit, let wanted = hpa.wanted, let desired = hpa.desired, wanted > desired {
                var episode = remembered.limit.flatMap { $0.name == limit ? $0 : nil } ?? (name: limit, since: now, said: false)
                if !episode.said, now.timeIntervalSince(episode.since) >= Self.limitWindow {
                    let bound = limit == "maxReplicas" ? maxReplicas[key].map { ", maxReplicas \($0)" } ?? "" : ""
                    said.append(
                        Said(
                            hpa: key, kind: .warning, reason: Self.reason(limit),
                            message: "The metrics ask for \(wanted) replicas\(bound), held by \(limit) for \(Int(now.timeIntervalSince(episode.since) / 60))m"))
                    episode.said = true
                }
                remembered.limit = episode
            } else {
                remembered.limit = nil
            }
            memory[key] = remembered
        }
        for gone in Set(memory.keys).subtracting(seen) { memory[gone] = nil }
        return said
    }

    /// `ScaleLimitedByMax`, `ScaleLimitedByMin`, `ScaleLimitedByPaused`, ….
    static func reason(_ limit: String) -> String {
        switch limit {
        case "maxReplicas": "ScaleLimitedByMax"
        case "minReplicas": "ScaleLimitedByMin"
        default: "ScaleLimitedBy" + limit.prefix(1).uppercased() + limit.dropFirst()
        }
    }
}

/// Every 30 s, the signals through `SignalEvents`, recorded on the HPAs (by the leader: the
/// process's recorder is behind the leadership fence).
final class SignalEventsService: Service {
    let collector: Collector
    let manager: Manager
    let logger: Logger

    init(collector: Collector, manager: Manager, logger: Logger) {
        self.collector = collector
        self.manager = manager
        self.logger = logger
    }

    func run() async throws {
        let state = SignalState()
        await repeatedly(every: .seconds(30), startNow: false, logger: logger, failure: "cannot compute the per-metric signals") { [collector, manager] in
            // Every replica keeps the memory (a new leader knows how long a limit has held); the
            // recorder's fence lets only the leader's events out.
            let now = Date()
            let gathered = await MetricSignals.gather(collector: collector, manager: manager, now: now)
            var maxima: [ObjectKey: Int32] = [:]
            var references: [ObjectKey: ObjectReference] = [:]
            for (hpa, _, _) in gathered {
                maxima[hpa.metadata.key] = hpa.spec.maxReplicas
                references[hpa.metadata.key] = ObjectReference(
                    apiVersion: HorizontalPodAutoscaler.apiVersion, kind: HorizontalPodAutoscaler.kind,
                    namespace: hpa.metadata.namespace, name: hpa.metadata.name, uid: hpa.metadata.uid)
            }
            for said in await state.observe(gathered.map(\.summary), metrics: gathered.flatMap(\.metrics), maxReplicas: maxima, now: now) {
                guard let reference = references[said.hpa] else { continue }
                await manager.events.record(said.kind, reason: said.reason, message: said.message, on: reference, repeatable: true)
            }
        }
    }

    private actor SignalState {
        var events = SignalEvents()
        func observe(_ hpas: [MetricSignals.HPA], metrics: [MetricSignals.Metric], maxReplicas: [ObjectKey: Int32], now: Date) -> [SignalEvents.Said] {
            events.observe(hpas, metrics: metrics, maxReplicas: maxReplicas, now: now)
        }
    }
}
