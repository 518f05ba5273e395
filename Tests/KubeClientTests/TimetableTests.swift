import KubeClient
import Testing

@Suite struct TimetableTests {
    let start = ContinuousClock.now

    func at(_ seconds: Int) -> ContinuousClock.Instant { start + .seconds(seconds) }

    @Test func itemsComeOutEarliestFirstOnceDue() {
        var table = Timetable<String>()
        let firsts = [table.plan("b", at: at(20)), table.plan("a", at: at(10)), table.plan("c", at: at(30))]
        #expect(firsts == [true, true, false])
        let taken = [table.takeDue(by: at(5)), table.takeDue(by: at(25)), table.takeDue(by: at(25)), table.takeDue(by: at(25))]
        #expect(taken == [nil, "a", "b", nil])
        #expect(table.count == 1)
        #expect(table.time(of: "c") == at(30))
    }

    @Test func planningAgainMovesAnItemAndCancellingDropsIt() {
        var table = Timetable<String>()
        table.plan("a", at: at(10))
        table.plan("b", at: at(20))
        table.plan("a", at: at(30))
        table.cancel("b")
        // The stale entries (a at 10, b) are skipped.
        let earliest = table.earliest()
        #expect(earliest == at(30))
        let taken = [table.takeDue(by: at(25)), table.takeDue(by: at(30))]
        #expect(taken == [nil, "a"])
        let after = table.earliest()
        #expect(table.count == 0 && after == nil)
    }

    @Test func planUnlessSoonerKeepsTheEarlierTime() {
        var table = Timetable<String>()
        let planned = [table.planUnlessSooner("k", at: at(60)), table.planUnlessSooner("k", at: at(90))]
        #expect(planned == [true, false])
        #expect(table.time(of: "k") == at(60))
        let sooner = table.planUnlessSooner("k", at: at(5))
        #expect(sooner && table.time(of: "k") == at(5))
        let taken = [table.takeDue(by: at(5)), table.takeDue(by: at(100))]
        #expect(taken == ["k", nil])
    }
}
