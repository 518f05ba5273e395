import Logging
import ServiceLifecycle

/// The failure a loop reported last, so a failure is logged when it starts or changes, and its
/// end once, not on every round.
public struct LastFailure: Sendable {
    public private(set) var text: String?

    public init() {}

    /// Takes this round's failure (nil: it went well); true when it differs from the last round's,
    /// which is when a log line is due.
    public mutating func update(_ text: String?) -> Bool {
        defer { self.text = text }
        return self.text != text
    }
}

/// Runs `work` now (or after one interval) and then every `interval` (stretched by up to `jitter`
/// of it), until cancelled or shut down (SIGTERM: a service group waits for its services to
/// return). Failures are logged when they change, not on every round; a recovery is logged once.
public func repeatedly(
    every interval: Duration, jitter: Double = 0, startNow: Bool, logger: Logger, failure: Logger.Message, recovery: Logger.Message? = nil,
    metadata: Logger.Metadata = [:], _ work: @escaping @Sendable () async throws -> Void
) async {
    try? await cancelWhenGracefulShutdown {
        var last = LastFailure()
        await Periodic.run(initialDelay: startNow ? .zero : interval) {
            do {
                try await work()
                if last.update(nil), let recovery { logger.notice(recovery, metadata: metadata) }
            } catch is CancellationError {
                return nil
            } catch {
                if last.update("\(error)") { logger.warning(failure, metadata: metadata.merging(["error": "\(error)"]) { $1 }) }
            }
            return interval.jittered(by: jitter)
        }
    }
}
