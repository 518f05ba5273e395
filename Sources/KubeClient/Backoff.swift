/// Exponential backoff: the wait before retrying something that failed `n` times in a row is
/// `initial × 2^(n-1)`, capped at `maximum`, and with `jitter` a random part of it taken off (0.5:
/// anywhere from half to all of it), so many clients failing together do not retry together. The
/// one retry policy: informers (jittered) and the work queue (exact, as client-go's) both use it.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    /// The fraction of the wait that is random, 0...1.
    public var jitter: Double

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), jitter: Double = 0.5) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The wait before attempt `failures` + 1 (`failures` is 1-based).
    public func delay(afterFailures failures: Int) -> Duration {
        let ceiling = min(initial * (1 << min(max(failures, 1) - 1, 30)), maximum)
        return jitter == 0 ? ceiling : ceiling * Double.random(in: (1 - jitter)...1)
    }
}
