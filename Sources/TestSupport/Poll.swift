/// Waiting for something that happens asynchronously, without fixed sleeps.
public enum Poll {
    /// Checks `condition` every `interval` (20 ms) until it holds (true) or `timeout` passes
    /// (false). It is always checked once more after the last wait: a test process starved of
    /// threads past the deadline still gets its answer from what happened meanwhile, not from the clock.
    public static func until(
        timeout: Duration = hangBound, every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: interval)
        }
    }
}

/// How long a test lets something take before calling it a hang. Only a hang: never a speed
/// claim (CI machines are loaded; a 5 s bound once failed at 8 s, and with both cores kept busy
/// the whole test process once stood still for 35 s), so it is generous.
public let hangBound: Duration = .seconds(90)
