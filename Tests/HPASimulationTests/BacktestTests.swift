import Autoscaling
import KubeModel
import Testing

@testable import HPASimulation

@Suite("Backtest: the simulation loop and range chunks")
struct BacktestTests {
    @Test func chunksStayUnderThePointLimitAndCoverTheWindowBackToBack() {
        let chunks = RangeChunks.split(from: 0, to: 100, step: 10, maximumPoints: 4)
        #expect(chunks.map { [$0.start, $0.end] } == [[0, 30], [40, 70], [80, 100]])
        #expect(RangeChunks.split(from: 0, to: 30, step: 10, maximumPoints: 11_000).count == 1)
        #expect(RangeChunks.split(from: 5, to: 0, step: 10).isEmpty)
    }

    static func workload(_ values: [Double: Double], zero: Bool = false) -> Backtest.Workload {
        Backtest.Workload(
            metrics: [Backtest.Metric(name: "rps", target: .averageValue(Quantity(100)), activationThreshold: zero ? Quantity(50) : nil, values: values)],
            minReplicas: zero ? 0 : 1, maxReplicas: 10,
            behavior: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "x"),
                minReplicas: 1, maxReplicas: 10, behavior: HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 0))
            ).defaulted.behavior,
            scaleToZero: zero ? ScaleToZero(cooldown: .seconds(30)) : nil)
    }

    @Test func gapsHoldAndAreReported() {
        let times = stride(from: 0.0, through: 90, by: 15).map { $0 }
        let (steps, summary) = Backtest.run(Self.workload([0: 500, 15: 500, 60: 100, 75: 100, 90: 100]), times: times, step: 15, startReplicas: 5)
        #expect(steps.map(\.replicas) == [5, 5, 5, 5, 1, 1, 1], "the gap at 30–60 s holds 5")
        #expect(summary.gaps.map { [$0.metric, "\($0.from)", "\($0.to)"] } == [["rps", "30.0", "60.0"]])
        #expect(summary.scaleDowns == 1 && summary.secondsAtMax == 0)
        #expect(summary.replicaHours == Double(5 * 4 + 3) * 15 / 3600)
    }

    @Test func anHPAsToleranceDecidesEachStep() {
        // 4 replicas at 430 against 100 per replica: 1.075, within the default 10 %.
        let times = [0.0, 15, 30]
        let values = Dictionary(uniqueKeysWithValues: times.map { ($0, 430.0) })
        var workload = Self.workload(values)
        #expect(Backtest.run(workload, times: times, step: 15, startReplicas: 4).steps.map(\.replicas) == [4, 4, 4])
        workload.behavior?.scaleUp?.tolerance = Quantity(milli: 50)
        let (steps, _) = Backtest.run(workload, times: times, step: 15, startReplicas: 4)
        #expect(steps.map(\.replicas) == [5, 5, 5])
        #expect(steps.first?.metrics.first?.proposal == 5)
    }

    /// Native scale to zero: the HPA controller itself goes to 0 when the metric reads 0 (after
    /// the scale-down window, here 0 s) and back when it reads more, with no threshold or cooldown.
    @Test func nativeScaleToZeroIsTheControllers() {
        let times = stride(from: 0.0, through: 60, by: 15).map { $0 }
        var workload = Self.workload([0: 0, 15: 0, 30: 250, 45: 250, 60: 0], zero: true)
        workload.scaleToZero = ScaleToZero(native: true)
        let (steps, _) = Backtest.run(workload, times: times, step: 15, startReplicas: 2)
        // 0 at once; 250 against 100 per replica wakes it to 3 (ceil(250/100)), then 0 again.
        #expect(steps.map(\.replicas) == [0, 0, 3, 3, 0], "\(steps.map(\.replicas))")
    }

    @Test func scaleToZeroFollowsTheOperatorsRules() {
        let times = stride(from: 0.0, through: 120, by: 15).map { $0 }
        var values: [Double: Double] = [:]
        for time in times { values[time] = time < 90 ? 10 : 800 }
        let (steps, _) = Backtest.run(Self.workload(values, zero: true), times: times, step: 15, startReplicas: 1)
        // Quiet from 0 s: zero at 30 s (the cooldown); 800 at 90 s wakes it to 1, then the HPA takes it to 5 and 8.
        #expect(steps.map(\.replicas) == [1, 1, 0, 0, 0, 0, 1, 5, 8], "\(steps.map(\.replicas))")
    }
}

@Suite("Backtest plot")
struct BacktestPlotTests {
    @Test func namesFromManifestsAreEscaped() {
        let steps = [Backtest.Step(time: 0, replicas: 1, metrics: []), Backtest.Step(time: 15, replicas: 2, metrics: [])]
        let svg = BacktestPlot.svg([BacktestPlot.Panel(title: "x<y&\"z\"\u{1}", steps: steps, metrics: [], minReplicas: 1, maxReplicas: 3)])
        #expect(svg.contains("x&lt;y&amp;&quot;z&quot; — "))
        #expect(!svg.contains("\u{1}"))
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    }

    @Test func ticksAreRound() {
        #expect(BacktestPlot.niceTicks(upTo: 11) == [0, 2.5, 5, 7.5, 10])
        #expect(BacktestPlot.niceTicks(upTo: 1100) == [0, 250, 500, 750, 1000])
    }
}
