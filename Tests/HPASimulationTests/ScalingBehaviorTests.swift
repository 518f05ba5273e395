import HPASimulation
import KubeModel
import Testing

/// The controller's normalization worked by hand from its rules (horizontal.go): each case runs
/// syncs every 15 s and lists the replicas after each.
@Suite("Scaling behavior: stabilization windows and rate policies")
struct ScalingBehaviorTests {
    /// Syncs every `step` seconds with these desired counts, from `start` replicas.
    static func run(_ desired: [Int32], start: Int32, min: Int32 = 1, max: Int32 = 100, behavior: HorizontalPodAutoscalerBehavior?, step: Double = 15) -> [Int32] {
        var history = ScalingHistory()
        var current = start
        return desired.enumerated().map { index, wanted in
            current = ScalingBehavior.normalize(desired: wanted, current: current, min: min, max: max, behavior: behavior, now: Double(index) * step, history: &history)
            return current
        }
    }

    static func behavior(up: HPAScalingRules? = nil, down: HPAScalingRules? = nil) -> HorizontalPodAutoscalerBehavior {
        HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(apiVersion: "apps/v1", kind: "Deployment", name: "x"), minReplicas: 1, maxReplicas: 100,
            behavior: HorizontalPodAutoscalerBehavior(scaleUp: up, scaleDown: down)
        ).defaulted.behavior!
    }

    /// Cases of Kubernetes' own controller tests (horizontal_test.go), one sync each through
    /// `ScalingBehavior.sync`, as the controller runs them.
    @Test func theControllersOwnCases() {
        func sync(
            _ readings: [ReplicaCalculator.Reading], current: Int32, min: Int32, max: Int32, behavior: HorizontalPodAutoscalerBehavior? = nil,
            history: inout ScalingHistory, at now: Double = 0
        ) -> Int32 {
            ScalingBehavior.sync(readings, current: current, min: min, max: max, behavior: behavior, now: now, history: &history)
        }
        // TestScaleDownStabilizeInitialSize: 5 replicas, CPU at 28 % of 50 %, min 2: the count
        // seen first is a recommendation, so the scale-down waits for the window.
        var first = ScalingHistory()
        #expect(sync([.utilization(percent: 28, targetPercent: 50)], current: 5, min: 2, max: 6, history: &first) == 5)
        #expect(sync([.utilization(percent: 28, targetPercent: 50)], current: 5, min: 2, max: 6, history: &first, at: 301) == 3)
        var firstWithBehavior = ScalingHistory()
        #expect(sync([.utilization(percent: 28, targetPercent: 50)], current: 5, min: 2, max: 6, behavior: Self.behavior(), history: &firstWithBehavior) == 5)
        // Above max: straight to max, past stabilization and a rate limit of one pod a minute,
        // readable metrics or not.
        let slowDown = Self.behavior(down: HPAScalingRules(stabilizationWindowSeconds: 300, policies: [HPAScalingPolicy(type: "Pods", value: 1, periodSeconds: 60)]))
        for readings: [ReplicaCalculator.Reading] in [[.utilization(percent: 10, targetPercent: 50)], [.unknown]] {
            var history = ScalingHistory()
            #expect(sync(readings, current: 10, min: 1, max: 5, behavior: slowDown, history: &history) == 5, "\(readings)")
            var old = ScalingHistory()
            #expect(sync(readings, current: 10, min: 1, max: 5, history: &old) == 5, "\(readings)")
        }
        // Below min: straight to min.
        var below = ScalingHistory()
        #expect(sync([.unknown], current: 1, min: 3, max: 10, behavior: Self.behavior(), history: &below) == 3)
        // Defaulting leaves a scale-down window out (the controller's flag, 300 s, applies).
        #expect(Self.behavior(down: HPAScalingRules(selectPolicy: "Max")).scaleDown?.stabilizationWindowSeconds == nil)
    }

    @Test func withoutBehaviorUpIsAtMostDoubleOrFourAndDownWaitsFiveMinutes() {
        // 1 → 4 (max(2×1, 4)) → 8 → 16 → 20.
        #expect(Self.run([20, 20, 20, 20], start: 1, behavior: nil) == [4, 8, 16, 20])
        // Desired falls from 10 to 2 at 30 s: held at the window's highest, 10, until the last 10 is 300 s old.
        let desired: [Int32] = [10, 10] + Array(repeating: 2, count: 22)
        let replicas = Self.run(desired, start: 10, behavior: nil)
        // At 315 s the 10 of 15 s is exactly 300 s old and still counts; at 330 s it is gone.
        #expect(replicas[0..<22].allSatisfy { $0 == 10 }, "\(replicas)")
        #expect(replicas[22] == 2, "\(replicas)")
    }

    @Test func theDefaultBehaviorScalesUpByFourPodsOrDoublesPerFifteenSeconds() {
        // 1 → max(1+4, 2) = 5 → max(5+4, 10) = 10 → 20 → 40.
        #expect(Self.run([40, 40, 40, 40], start: 1, behavior: Self.behavior()) == [5, 10, 20, 40])
        // Within one period the event still counts: syncs 5 s apart wait for the period to pass.
        #expect(Self.run([40, 40, 40, 40], start: 1, behavior: Self.behavior(), step: 5) == [5, 5, 5, 10])
    }

    @Test func theDefaultBehaviorHoldsAScaleDownFiveMinutesThenDropsAtOnce() {
        let replicas = Self.run([8] + Array(repeating: 1, count: 21), start: 8, behavior: Self.behavior())
        #expect(replicas[0..<20].allSatisfy { $0 == 8 } && replicas[20] == 1, "100 % per 15 s allows the whole drop: \(replicas)")
    }

    @Test func podsAndPercentPoliciesAndSelectPolicy() {
        let onePodPerMinute = HPAScalingRules(stabilizationWindowSeconds: 0, policies: [HPAScalingPolicy(type: "Pods", value: 1, periodSeconds: 60)])
        #expect(Self.run(Array(repeating: 1, count: 9), start: 10, behavior: Self.behavior(down: onePodPerMinute)) == [9, 9, 9, 9, 8, 8, 8, 8, 7])
        // Percent down rounds down: half of 5 is 2.
        let halfPerSync = HPAScalingRules(stabilizationWindowSeconds: 0, policies: [HPAScalingPolicy(type: "Percent", value: 50, periodSeconds: 15)])
        #expect(Self.run([1, 1, 1], start: 5, behavior: Self.behavior(down: halfPerSync)) == [2, 1, 1])
        // Percent up rounds up: 10 % of 3 still adds one.
        let tenPercent = HPAScalingRules(stabilizationWindowSeconds: 0, policies: [HPAScalingPolicy(type: "Percent", value: 10, periodSeconds: 15)])
        #expect(Self.run([10, 10], start: 3, behavior: Self.behavior(up: tenPercent)) == [4, 5])
        // Min picks the smaller change: of +4 pods and +100 %, from 1 that is 2.
        var cautious = HorizontalPodAutoscalerSpec.defaultScaleUp
        cautious.selectPolicy = "Min"
        #expect(Self.run([40, 40, 40], start: 1, behavior: Self.behavior(up: cautious)) == [2, 4, 8])
        // Min on the way down: of −1 pod and −50 %, the smaller change.
        let gentle = HPAScalingRules(
            stabilizationWindowSeconds: 0, selectPolicy: "Min",
            policies: [HPAScalingPolicy(type: "Pods", value: 1, periodSeconds: 15), HPAScalingPolicy(type: "Percent", value: 50, periodSeconds: 15)])
        #expect(Self.run([1, 1], start: 10, behavior: Self.behavior(down: gentle)) == [9, 8])
        // Disabled: never in that direction.
        let never = HPAScalingRules(selectPolicy: "Disabled")
        #expect(Self.run([1, 1, 1], start: 6, behavior: Self.behavior(down: never)) == [6, 6, 6])
        #expect(Self.run([9, 9], start: 6, behavior: Self.behavior(up: never)) == [6, 6])
    }

    @Test func aScaleUpWindowTakesTheLowestRecentRecommendation() {
        let slowUp = HPAScalingRules(stabilizationWindowSeconds: 60)
        // A spike to 8 for one sync is ignored; a rise that lasts passes once the window holds nothing lower.
        #expect(Self.run([2, 8, 2, 2], start: 2, behavior: Self.behavior(up: slowUp)) == [2, 2, 2, 2])
        // At 60 s the 2 of 0 s has left the window: 8 is recommended, and the default rate allows 2 → 6, then 8.
        #expect(Self.run([2, 8, 8, 8, 8, 8], start: 2, behavior: Self.behavior(up: slowUp)) == [2, 2, 2, 2, 6, 8])
    }

    @Test func boundsStillHold() {
        #expect(Self.run([50, 50], start: 3, max: 6, behavior: Self.behavior()) == [6, 6])
        let fast = HPAScalingRules(stabilizationWindowSeconds: 0)
        #expect(Self.run([1], start: 5, min: 3, behavior: Self.behavior(down: fast)) == [3])
    }
}
