/// Waiting for something that happens asynchronously, without fixed sleeps.
public enum Poll {
    /// Checks `condition` every 20 ms until it holds (true) or `timeout` passes (false).
    public static func until(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}
