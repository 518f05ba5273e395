import HeapModule

/// Items due at a time, earliest first: a heap of times, with each item's current time held
/// apart, so planning an item again or cancelling it leaves its old heap entry stale, to be
/// skipped when it comes up. The work queue's delayed keys and the collector's query runs wait in
/// one each.
public struct Timetable<Item: Hashable & Sendable>: Sendable {
    private struct Entry: Comparable, Sendable {
        var at: ContinuousClock.Instant
        var item: Item
        static func < (left: Entry, right: Entry) -> Bool { left.at < right.at }
        static func == (left: Entry, right: Entry) -> Bool { left.at == right.at && left.item == right.item }
    }

    private var heap = Heap<Entry>()
    private var times: [Item: ContinuousClock.Instant] = [:]

    public init() {}

    /// Items planned.
    public var count: Int { times.count }

    /// When `item` is due; nil when it is not planned.
    public func time(of item: Item) -> ContinuousClock.Instant? { times[item] }

    /// Plans `item` at `time`, instead of any time it had; true when it is now the earliest.
    @discardableResult
    public mutating func plan(_ item: Item, at time: ContinuousClock.Instant) -> Bool {
        let earliest = self.earliest().map { time < $0 } ?? true
        times[item] = time
        heap.insert(Entry(at: time, item: item))
        return earliest
    }

    /// Plans `item` at `time` unless it is due sooner already (client-go's delaying queue keeps
    /// the earlier of two); true when it is now the earliest.
    @discardableResult
    public mutating func planUnlessSooner(_ item: Item, at time: ContinuousClock.Instant) -> Bool {
        if let planned = times[item], planned <= time { return false }
        return plan(item, at: time)
    }

    public mutating func cancel(_ item: Item) {
        times[item] = nil
    }

    public mutating func removeAll() {
        times = [:]
        heap = Heap()
    }

    /// The earliest time planned; nil when nothing is.
    public mutating func earliest() -> ContinuousClock.Instant? {
        dropStale()
        return heap.min?.at
    }

    /// Takes the earliest item due by `now`; nil when none is.
    public mutating func takeDue(by now: ContinuousClock.Instant) -> Item? {
        dropStale()
        guard let next = heap.min, next.at <= now else { return nil }
        heap.removeMin()
        times[next.item] = nil
        return next.item
    }

    /// Entries whose item was planned again or cancelled since.
    private mutating func dropStale() {
        while let next = heap.min, times[next.item] != next.at { heap.removeMin() }
    }
}
