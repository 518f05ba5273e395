import KubeClient
import Testing

@testable import Operator

@Suite struct WorkQueueTests {
    @Test func keysComeOutOnceInOrderThroughABurst() async {
        let queue = WorkQueue<Int>()
        // A burst as large as an initial sync, added twice over: each key is queued once.
        for key in 0..<5000 { await queue.add(key) }
        for key in 0..<5000 { await queue.add(key) }
        #expect(await queue.depth == 5000)
        var seen: [Int] = []
        for _ in 0..<3000 {
            guard let key = await queue.next() else { break }
            seen.append(key)
            await queue.done(key)
        }
        // More arrive mid-way (the queue compacts as it drains); order is still first come, first served.
        for key in 5000..<5100 { await queue.add(key) }
        while await queue.depth > 0 {
            guard let key = await queue.next() else { break }
            seen.append(key)
            await queue.done(key)
        }
        #expect(seen == Array(0..<5100))
        // Drained and used again.
        await queue.add(7)
        #expect(await queue.next() == 7)
    }

    @Test func aKeyInProgressIsNotHandedOutAgainUntilDone() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        #expect(await queue.next() == "a")
        await queue.add("a")
        await queue.add("b")
        // "a" is being worked on: only "b" is handed out meanwhile.
        #expect(await queue.next() == "b")
        #expect(await queue.depth == 0)
        await queue.done("a")
        #expect(await queue.next() == "a")
    }

    @Test func failuresBackOffExponentially() async throws {
        let queue = WorkQueue<String>(backoff: Backoff(initial: .milliseconds(20), maximum: .milliseconds(40), jitter: 0))
        for expected in 1...3 {
            let started = ContinuousClock.now
            await queue.addRateLimited("k")
            #expect(await queue.next() == "k")
            let waited = ContinuousClock.now - started
            #expect(await queue.failureCount("k") == expected)
            // 20 ms, then 40 ms, then capped at 40 ms.
            #expect(waited >= .milliseconds(min(20 << (expected - 1), 40)))
            await queue.done("k")
        }
        // The schedule: 5 ms doubling, capped at 5 min.
        let defaults = WorkQueue<String>().backoff
        #expect((1...4).map(defaults.delay(afterFailures:)) == [.milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(40)])
        #expect(defaults.delay(afterFailures: 17) == .seconds(300) && defaults.delay(afterFailures: 100) == .seconds(300))
        await queue.forget("k")
        #expect(await queue.failureCount("k") == 0)
    }

    /// Delayed keys wait in one timetable behind one timer: a key added twice comes once, at the
    /// earlier of its times, and every delayed key comes in the order of its time.
    @Test func delayedKeysComeOnceAtTheirEarlierTime() async {
        let queue = WorkQueue<String>()
        // (Short times: a queue that kept the later time fails the order below instead of hanging.)
        await queue.add("late", after: .milliseconds(500))
        await queue.add("twice", after: .seconds(2))
        await queue.add("twice", after: .milliseconds(10))
        await queue.add("twice", after: .seconds(3))
        #expect(await queue.delayedCount == 2)
        #expect(await queue.next() == "twice")
        await queue.done("twice")
        #expect(await queue.next() == "late")
        await queue.done("late")
        #expect(await queue.delayedCount == 0)
        #expect(await queue.depth == 0)
        // Shut down, the timer lets go and nothing more comes.
        await queue.add("never", after: .milliseconds(10))
        await queue.shutDown()
        #expect(await queue.next() == nil)
        #expect(await queue.delayedCount == 0)
    }
}
