import HPASimulation
import KubeModel
import Testing

@Suite struct ReplicaCalculatorTests {
    typealias Reading = ReplicaCalculator.Reading

    /// (reading, current replicas, the HPA controller's proposal)
    static let proposals: [(Reading, Int32, Int32?)] = [
        // Object / External Value: ceil(value/target × current)
        (.value(milli: 250_000, targetMilli: 100_000), 2, 5),
        (.value(milli: 105_000, targetMilli: 100_000), 4, 4),  // within tolerance
        (.value(milli: 90_000, targetMilli: 100_000), 4, 4),  // 1 − 0.9 is 0.0999…98 in floating point: within
        (.value(milli: 110_000, targetMilli: 100_000), 4, 4),  // 1.1 ≤ 1 + 0.1 in floating point: within, as Kubernetes 1.33 compares (1.26 scaled to 5)
        (.value(milli: 110_001, targetMilli: 100_000), 4, 5),
        (.value(milli: 0, targetMilli: 100_000), 3, 0),
        (.value(milli: 250_000, targetMilli: 100_000), 0, 3),  // no replicas: ceil(ratio)
        (.value(milli: Int64.max / 2, targetMilli: 1), 10, Int32.max),
        // Object / External AverageValue: tolerance per replica, proposal ceil(total/target)
        (.averageValue(totalMilli: 105_000, targetMilli: 40_000), 2, 3),
        (.averageValue(totalMilli: 250_000, targetMilli: 100_000), 3, 3),
        (.averageValue(totalMilli: 190_000, targetMilli: 100_000), 2, 2),  // 0.95 per replica: within
        (.averageValue(totalMilli: 100_000, targetMilli: 100_000), 4, 1),
        (.averageValue(totalMilli: 350_000, targetMilli: 100_000), 0, 4),
        // Pods AverageValue and Resource: ratio × current
        (.podAverage(milli: 52_500, targetMilli: 40_000), 2, 3),
        (.podAverage(milli: 20_000, targetMilli: 40_000), 6, 3),
        (.utilization(percent: 140, targetPercent: 70), 3, 6),
        (.utilization(percent: 75, targetPercent: 70), 3, 3),
        (.unknown, 3, nil),
    ]

    @Test(arguments: proposals.indices)
    func proposal(_ index: Int) {
        let (reading, current, expected) = Self.proposals[index]
        #expect(ReplicaCalculator.proposal(reading, current: current) == expected)
    }

    /// An HPA's own tolerances (`behavior.scaleUp.tolerance` above a ratio of 1,
    /// `scaleDown.tolerance` below), each side the controller's 0.1 where not set.
    /// (reading, current replicas, scaleUp tolerance, scaleDown tolerance, proposal)
    static let tolerances: [(Reading, Int32, String?, String?, Int32)] = [
        (.value(milli: 108_000, targetMilli: 100_000), 4, nil, nil, 4),  // 1.08: within the default 0.1
        (.value(milli: 108_000, targetMilli: 100_000), 4, "0.05", nil, 5),  // past a 5 % scale-up tolerance
        (.value(milli: 101_000, targetMilli: 100_000), 10, "0", nil, 11),  // no tolerance up: any excess scales
        (.value(milli: 100_000, targetMilli: 100_000), 10, "0", "0", 10),  // exactly on target stays
        (.value(milli: 85_000, targetMilli: 100_000), 10, nil, nil, 9),  // 0.85: past the default 0.1 down
        (.value(milli: 85_000, targetMilli: 100_000), 10, "0", "0.2", 10),  // within a 20 % scale-down tolerance
        (.value(milli: 108_000, targetMilli: 100_000), 4, nil, "0.01", 4),  // the down side does not narrow the up side
        (.averageValue(totalMilli: 430_000, targetMilli: 100_000), 4, "0.05", nil, 5),  // 1.075 per replica
        (.utilization(percent: 77, targetPercent: 70), 10, "0.05", nil, 11),  // 1.1 past 5 %: ceil(11.0)
    ]

    @Test(arguments: tolerances.indices)
    func anHPAsOwnToleranceDecides(_ index: Int) throws {
        let (reading, current, up, down, expected) = Self.tolerances[index]
        let behavior = HorizontalPodAutoscalerBehavior(
            scaleUp: try up.map { HPAScalingRules(tolerance: try Quantity(parsing: $0)) },
            scaleDown: try down.map { HPAScalingRules(tolerance: try Quantity(parsing: $0)) })
        let tolerance = ReplicaCalculator.Tolerance(behavior)
        #expect(ReplicaCalculator.proposal(reading, current: current, tolerance: tolerance) == expected)
        #expect(ReplicaCalculator.desiredReplicas([reading], current: current, min: 1, max: 100, tolerance: tolerance) == expected)
    }

    @Test func theLargestProposalClampedToTheBounds() {
        let readings: [Reading] = [.utilization(percent: 35, targetPercent: 70), .value(milli: 300_000, targetMilli: 100_000)]
        #expect(ReplicaCalculator.desiredReplicas(readings, current: 2, min: 1, max: 10) == 6)
        #expect(ReplicaCalculator.desiredReplicas(readings, current: 2, min: 1, max: 5) == 5)
        #expect(ReplicaCalculator.desiredReplicas([.value(milli: 0, targetMilli: 1_000)], current: 4, min: 2, max: 10) == 2)
        #expect(ReplicaCalculator.desiredReplicas([.value(milli: Int64.max / 2, targetMilli: 1)], current: 4, min: 1, max: 12) == 12)
    }

    @Test func unreadableMetricsNeverScaleDown() {
        // All unknown: the replicas stay.
        #expect(ReplicaCalculator.desiredReplicas([.unknown, .unknown], current: 3, min: 1, max: 10) == 3)
        // One unknown: up is allowed, down is not.
        #expect(ReplicaCalculator.desiredReplicas([.unknown, .value(milli: 500, targetMilli: 100)], current: 3, min: 1, max: 20) == 15)
        #expect(ReplicaCalculator.desiredReplicas([.unknown, .value(milli: 10, targetMilli: 100)], current: 3, min: 1, max: 20) == 3)
    }

    @Test func aTargetAtZeroReplicasIsNotScaled() {
        #expect(ReplicaCalculator.desiredReplicas([.value(milli: 500, targetMilli: 100)], current: 0, min: 1, max: 10) == 0)
    }

    @Test func perReplicaAverageRoundsUpToTheMilli() {
        #expect(ReplicaCalculator.perReplicaMilli(totalMilli: 250_000, replicas: 3) == 83_334)
        #expect(ReplicaCalculator.perReplicaMilli(totalMilli: 90_000, replicas: 3) == 30_000)
        #expect(ReplicaCalculator.perReplicaMilli(totalMilli: 5_000, replicas: 0) == 5_000)
    }
}
