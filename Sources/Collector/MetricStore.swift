import Foundation
import KubeModel
import Synchronization

/// A value ready to serve: the number and when it was collected.
public struct MetricValue: Sendable, Hashable {
    public var value: Quantity
    /// When the collector got it (the metrics API's `timestamp`).
    public var timestamp: Date

    public init(value: Quantity, timestamp: Date) {
        self.value = value
        self.timestamp = timestamp
    }
}

/// What a collection produced for one key: a value, one value per pod, or the reason there is none.
public enum Collected: Sendable, Hashable {
    case value(Quantity)
    case pods([String: Quantity])
}

/// The collector's results, read by the metrics API. Every entry carries its collection time and
/// max age; reads take `now` and refuse anything older (fail closed). The store is also the source
/// of truth for discovery: its keys are exactly what is being collected now. Reads and writes
/// are short and synchronous under one lock, so the metrics API answers on its event loop.
public final class MetricStore: Sendable {
    struct Entry {
        var outcome: Result<Collected, MetricError>
        var collectedAt: Date
        var maxAge: Duration
        /// The query that fills this entry; a late answer of another (replaced) query is dropped.
        var source: String
        /// For a pods metric: its workload's pod selector, as last read.
        var podSelector: Selector?
    }

    private struct State {
        var entries: [MetricKey: Entry] = [:]
        /// The keys behind each metrics API list request, so a request reads only its own entries.
        var index: [Lookup: Set<MetricKey>] = [:]
    }

    private let state = Mutex(State())

    private enum Lookup: Hashable {
        case object(namespace: String, resource: GroupResource, metric: String)
        case external(namespace: String, metric: String)
        case pods(namespace: String, metric: String)

        init?(_ key: MetricKey) {
            switch key {
            case .object(let object): self = .object(namespace: object.namespace, resource: object.resource, metric: object.metric)
            case .external(let external): self = .external(namespace: external.namespace, metric: external.metric)
            case .pods(let pods): self = .pods(namespace: pods.namespace, metric: pods.metric)
            }
        }
    }

    public init() {}

    // MARK: Writing (the scheduler)

    /// A key to be filled by the query `source`; until its first answer it reads as pending.
    public func expect(_ key: MetricKey, source: String, maxAge: Duration, now: Date) {
        state.withLock { state in
            if let entry = state.entries[key], entry.source == source {
                state.entries[key]?.maxAge = maxAge
            } else {
                state.entries[key] = Entry(outcome: .failure(.pending), collectedAt: now, maxAge: maxAge, source: source)
                if let lookup = Lookup(key) { state.index[lookup, default: []].insert(key) }
            }
        }
    }

    /// Stores an answer of `source`, unless the key is no longer expected from it (removed, or
    /// now filled by another query): a late answer never resurrects a dropped value.
    public func record(_ key: MetricKey, _ outcome: Result<Collected, MetricError>, source: String, at time: Date, podSelector: Selector? = nil) {
        state.withLock { state in
            guard let entry = state.entries[key], entry.source == source else { return }
            state.entries[key] = Entry(outcome: outcome, collectedAt: time, maxAge: entry.maxAge, source: source, podSelector: podSelector ?? entry.podSelector)
        }
    }

    /// Drops a key's value at once (its HPA or annotation is gone).
    public func remove(_ key: MetricKey) {
        state.withLock { state in
            state.entries[key] = nil
            if let lookup = Lookup(key) {
                state.index[lookup]?.remove(key)
                if state.index[lookup]?.isEmpty == true { state.index[lookup] = nil }
            }
        }
    }

    /// Every key with its outcome and collection time, as of `now` (the `query` command, tests).
    public func snapshot(now: Date) -> [MetricKey: (outcome: Result<Collected, MetricError>, collectedAt: Date)] {
        state.withLock { $0.entries }.mapValues { (Self.fresh($0, now: now), $0.collectedAt) }
    }

    // MARK: Reading (the metrics API)

    /// Every key collected now (discovery), in a stable order.
    public var keys: [MetricKey] {
        state.withLock { Array($0.entries.keys) }.sorted { $0.description < $1.description }
    }

    /// One key's value, or why there is none; nil when the key is not collected at all.
    public func reading(_ key: MetricKey, now: Date) -> Result<Collected, MetricError>? {
        state.withLock { $0.entries[key] }.map { Self.fresh($0, now: now) }
    }

    /// Object values of one metric in a namespace, for one resource (any object name).
    public func objects(namespace: String, resource: GroupResource, metric: String, now: Date) -> [(key: ObjectMetricKey, reading: Result<MetricValue, MetricError>)] {
        entries(.object(namespace: namespace, resource: resource, metric: metric)).compactMap { key, entry in
            guard case .object(let object) = key else { return nil }
            return (object, Self.single(entry, now: now))
        }.sorted { $0.key.name < $1.key.name }
    }

    /// External values of one metric in a namespace (every label set).
    public func external(namespace: String, metric: String, now: Date) -> [(key: ExternalMetricKey, reading: Result<MetricValue, MetricError>)] {
        entries(.external(namespace: namespace, metric: metric)).compactMap { key, entry in
            guard case .external(let external) = key else { return nil }
            return (external, Self.single(entry, now: now))
        }.sorted { $0.key.labels.sorted { $0.key < $1.key }.description < $1.key.labels.sorted { $0.key < $1.key }.description }
    }

    /// Per-pod values of one metric in a namespace, for the workload whose pod selector is
    /// `podSelector` (what the HPA controller sends); nil when not collected. An empty selector
    /// reads the one workload's, when there is only one.
    public func pods(namespace: String, metric: String, podSelector: Selector = Selector(), now: Date) -> Result<[String: MetricValue], MetricError>? {
        let candidates = entries(.pods(namespace: namespace, metric: metric))
        guard !candidates.isEmpty else { return nil }
        let wanted = Set(podSelector.requirements.map(\.normalized))
        let matching = candidates.filter { $0.entry.podSelector.map { Set($0.requirements.map(\.normalized)) == wanted } ?? false }
        guard let (_, entry) = matching.first ?? (candidates.count == 1 && (podSelector.isEmpty || candidates[0].entry.podSelector == nil) ? candidates[0] : nil) else {
            return .failure(.noPodsFor(selector: podSelector.description))
        }
        return Self.fresh(entry, now: now).flatMap { collected in
            guard case .pods(let values) = collected else { return .failure(.noData) }
            return .success(values.mapValues { MetricValue(value: $0, timestamp: entry.collectedAt) })
        }
    }

    /// The entries behind one list request.
    private func entries(_ lookup: Lookup) -> [(key: MetricKey, entry: Entry)] {
        state.withLock { state in
            (state.index[lookup] ?? []).compactMap { key in state.entries[key].map { (key, $0) } }
        }
    }

    private static func single(_ entry: Entry, now: Date) -> Result<MetricValue, MetricError> {
        fresh(entry, now: now).flatMap { collected in
            // Object and external keys only ever hold single values (the scheduler interprets by key).
            guard case .value(let value) = collected else { return .failure(.noData) }
            return .success(MetricValue(value: value, timestamp: entry.collectedAt))
        }
    }

    /// The entry's outcome, unless it is older than its max age (a pending entry never expires:
    /// its query is still running or has not been scheduled yet).
    private static func fresh(_ entry: Entry, now: Date) -> Result<Collected, MetricError> {
        if case .failure(.pending) = entry.outcome { return entry.outcome }
        let age = now.timeIntervalSince(entry.collectedAt)
        if age > entry.maxAge.seconds {
            return .failure(.stale(ageSeconds: Int(age), maxAgeSeconds: Int(entry.maxAge.seconds)))
        }
        return entry.outcome
    }
}
