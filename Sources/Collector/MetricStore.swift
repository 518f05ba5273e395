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

/// What a collection produced for one key: a value, or one value per pod (a failure is the
/// `Result`'s other side, `MetricError`).
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
        /// The query's own value, before any per-replica division (what activation compares).
        var raw: Result<Quantity, MetricError>?
        /// When the current run of failures began; nil while the outcome is a value.
        var failingSince: Date?
        var fallback: FallbackRule?
    }

    private struct State {
        var entries: [MetricKey: Entry] = [:]
        /// The keys behind each metrics API list request, so a request reads only its own entries.
        var index: [Lookup: Set<MetricKey>] = [:]
    }

    private let state = Mutex(State())
    /// A scale target's replicas now (its `spec.replicas`), for fallbacks of Value targets.
    private let currentReplicas: @Sendable (ScaleTarget) -> Int?

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

    /// - Parameter currentReplicas: reads a scale target's replicas from a cache (never the
    ///   network: reads are synchronous); nil when unknown, and a Value target's fallback waits.
    public init(currentReplicas: @escaping @Sendable (ScaleTarget) -> Int? = { _ in nil }) {
        self.currentReplicas = currentReplicas
    }

    // MARK: Writing (the scheduler)

    /// A key to be filled by the query `source`; until its first answer it reads as pending.
    public func expect(_ key: MetricKey, source: String, maxAge: Duration, fallback: FallbackRule? = nil, now: Date) {
        state.withLock { state in
            if let entry = state.entries[key], entry.source == source {
                state.entries[key]?.maxAge = maxAge
                state.entries[key]?.fallback = fallback
            } else {
                state.entries[key] = Entry(outcome: .failure(.pending), collectedAt: now, maxAge: maxAge, source: source, fallback: fallback)
                if let lookup = Lookup(key) { state.index[lookup, default: []].insert(key) }
            }
        }
    }

    /// Stores an answer of `source`, unless the key is no longer expected from it (removed, or
    /// now filled by another query): a late answer never resurrects a dropped value. `raw` is the
    /// query's value before per-replica division (nil: the outcome's own).
    public func record(
        _ key: MetricKey, _ outcome: Result<Collected, MetricError>, raw: Result<Quantity, MetricError>? = nil, source: String,
        at time: Date, podSelector: Selector? = nil
    ) {
        state.withLock { state in
            guard let entry = state.entries[key], entry.source == source else { return }
            var failingSince: Date?
            if case .failure = outcome {
                // A run of failures starts at its first, or when the last value went stale.
                let previous = Self.failure(entry, now: time)?.since
                failingSince = previous ?? time
            }
            state.entries[key] = Entry(
                outcome: outcome, collectedAt: time, maxAge: entry.maxAge, source: source, podSelector: podSelector ?? entry.podSelector,
                raw: raw, failingSince: failingSince, fallback: entry.fallback)
        }
    }

    /// The query (or other source) that fills a key, nil when none does.
    public func source(of key: MetricKey) -> String? {
        state.withLock { $0.entries[key]?.source }
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

    /// `reading`, with when the value was collected.
    public func served(_ key: MetricKey, now: Date) -> (reading: Result<Collected, MetricError>, collectedAt: Date)? {
        state.withLock { $0.entries[key] }.map { (Self.fresh($0, now: now), $0.collectedAt) }
    }

    /// Object values of one metric in a namespace, for one resource (any object name).
    public func objects(namespace: String, resource: GroupResource, metric: String, now: Date) -> [(key: ObjectMetricKey, reading: Result<MetricValue, MetricError>)] {
        entries(.object(namespace: namespace, resource: resource, metric: metric)).compactMap { key, entry in
            guard case .object(let object) = key else { return nil }
            return (object, single(entry, now: now))
        }.sorted { $0.key.name < $1.key.name }
    }

    /// External values of one metric in a namespace (every label set).
    public func external(namespace: String, metric: String, now: Date) -> [(key: ExternalMetricKey, reading: Result<MetricValue, MetricError>)] {
        entries(.external(namespace: namespace, metric: metric)).compactMap { key, entry in
            guard case .external(let external) = key else { return nil }
            return (external, single(entry, now: now))
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

    private func single(_ entry: Entry, now: Date) -> Result<MetricValue, MetricError> {
        if let fallback = fallback(entry, now: now) { return .success(MetricValue(value: fallback.value, timestamp: now)) }
        return Self.fresh(entry, now: now).flatMap { collected in
            // Object and external keys only ever hold single values (the scheduler interprets by key).
            guard case .value(let value) = collected else { return .failure(.noData) }
            return .success(MetricValue(value: value, timestamp: entry.collectedAt))
        }
    }

    // MARK: Fallback and activation

    /// A metric served from its fallback now: the value, the rule, and the failure it stands in for.
    public struct ServedFallback: Sendable, Hashable {
        public var value: Quantity
        public var rule: FallbackRule
        public var error: MetricError
    }

    /// Every metric served from its fallback at `now`.
    public func fallbacks(now: Date) -> [MetricKey: ServedFallback] {
        let entries = state.withLock { $0.entries.filter { $0.value.fallback != nil } }
        return entries.compactMapValues { fallback($0, now: now) }
    }

    /// The query's own value (before per-replica division) as of `now`, or why there is none;
    /// nil when the key is not collected.
    public func rawReading(_ key: MetricKey, now: Date) -> Result<Quantity, MetricError>? {
        guard let entry = state.withLock({ $0.entries[key] }) else { return nil }
        let fresh = Self.fresh(entry, now: now)
        if case .failure(let error) = fresh, case .stale = error { return .failure(error) }
        // A per-replica value fails at zero replicas; the query's own value still reads.
        if let raw = entry.raw { return raw }
        return fresh.flatMap { collected in
            guard case .value(let value) = collected else { return .failure(.noData) }
            return .success(value)
        }
    }

    private func fallback(_ entry: Entry, now: Date) -> ServedFallback? {
        guard let rule = entry.fallback, let failure = Self.failure(entry, now: now), rule.applies(failingSince: failure.since, now: now),
            let value = rule.value(currentReplicas: currentReplicas(rule.scaleTarget))
        else { return nil }
        return ServedFallback(value: value, rule: rule, error: failure.error)
    }

    /// Why the entry serves no value at `now` and since when: a failed collection since the run
    /// of failures began, a value gone stale since it passed its max age. A query that has not
    /// answered yet is not failing.
    private static func failure(_ entry: Entry, now: Date) -> (error: MetricError, since: Date)? {
        guard case .failure(let error) = fresh(entry, now: now) else { return nil }
        switch entry.outcome {
        case .failure(.pending): return nil
        case .failure: return (error, entry.failingSince ?? entry.collectedAt)
        case .success: return (error, entry.collectedAt.addingTimeInterval(entry.maxAge.seconds))
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
