import Foundation
import KubeModel
import Testing

@testable import Autoscaling

@Suite("Activation: when to go to zero and when to wake")
struct ActivationTests {
    let start = Date(timeIntervalSince1970: 1_000_000)
    let cooldown = Duration.seconds(60)

    func rps(_ value: Int64?, threshold: Int64 = 50) -> Activation.Observation {
        Activation.Observation(metric: "rps", threshold: Quantity(threshold), reading: value.map { .value(Quantity($0)) } ?? .failed("no data"))
    }

    func queue(_ value: Int64) -> Activation.Observation {
        Activation.Observation(metric: "queue", threshold: Quantity(0), reading: .value(Quantity(value)))
    }

    /// Runs decisions at the given seconds after `start` and returns each action.
    func run(_ steps: [(second: Double, observations: [Activation.Observation], replicas: Int32)]) -> [Activation.Action] {
        var memory = Activation.Memory()
        return steps.map { step in
            let (action, next) = Activation.decide(step.observations, cooldown: cooldown, replicas: step.replicas, now: start.addingTimeInterval(step.second), memory: memory)
            memory = next
            return action
        }
    }

    @Test func zeroComesExactlyAfterTheCooldown() {
        let actions = run([(0, [rps(10)], 1), (59, [rps(10)], 1), (60, [rps(50)], 1)])
        #expect(actions[0] == .none && actions[1] == .none)
        #expect(actions[2] == .scaleToZero([rps(50)]), "at the threshold is inactive")
    }

    @Test func anyActivityRestartsTheCooldown() {
        let actions = run([(0, [rps(10)], 3), (30, [rps(51)], 3), (31, [rps(10)], 3), (90, [rps(10)], 3), (91, [rps(10)], 3)])
        #expect(actions == [.none, .none, .none, .none, .scaleToZero([rps(10)])])
    }

    @Test func errorsNeverCauseZeroAndRestartTheCooldown() {
        // Failing for hours never counts as inactive.
        #expect(run([(0, [rps(nil)], 2), (10_000, [rps(nil)], 2)]) == [.none, .none])
        // An error in the middle restarts the count.
        #expect(
            run([(0, [rps(10)], 2), (50, [rps(nil)], 2), (70, [rps(10)], 2), (129, [rps(10)], 2), (130, [rps(10)], 2)])
                == [.none, .none, .none, .none, .scaleToZero([rps(10)])])
        // One failing metric among quiet ones holds too; so does no observation at all.
        #expect(run([(0, [queue(0), rps(nil)], 2), (100, [queue(0), rps(nil)], 2)]) == [.none, .none])
        #expect(run([(0, [], 2), (100, [], 2)]) == [.none, .none])
    }

    @Test func errorsAtZeroDoNotWake() {
        #expect(run([(0, [rps(nil)], 0), (5, [rps(nil)], 0)]) == [.none, .none])
    }

    @Test func wakeIsImmediateAndNamesTheMetric() {
        #expect(run([(0, [rps(10)], 0), (1, [queue(0), rps(120)], 0)]) == [.none, .activate(rps(120))])
        // Active while already running: nothing to do (the HPA has it).
        #expect(run([(0, [rps(120)], 4)]) == [.none])
    }

    @Test func everyMetricMustBeQuiet() {
        #expect(run([(0, [rps(10), queue(3)], 1), (100, [rps(10), queue(3)], 1)]) == [.none, .none])
    }

    @Test func aCountSetByHandAtZeroHoldsForACooldown() {
        // Quiet for long at zero; a person sets 3: held until a full cooldown passes again.
        let actions = run([(0, [rps(10)], 1), (60, [rps(10)], 1), (100, [rps(10)], 0), (200, [rps(10)], 3), (259, [rps(10)], 3), (260, [rps(10)], 3)])
        #expect(actions == [.none, .scaleToZero([rps(10)]), .none, .none, .none, .scaleToZero([rps(10)])])
    }

    @Test func descriptionsSayValueAndThreshold() {
        #expect(rps(12).description == "rps 12 (threshold 50)")
        #expect(rps(nil).description == "rps: no data")
    }
}
