import KubeClient
import Logging
import ServiceLifecycle

/// Runs `work` now (or after one interval) and then every `interval`, until cancelled or shut
/// down. Failures are logged when they change, not on every round; a recovery is logged once.
func repeatedly(every interval: Duration, startNow: Bool, logger: Logger, failure: Logger.Message, recovery: Logger.Message? = nil,
                _ work: @escaping @Sendable () async throws -> Void) async {
    try? await cancelWhenGracefulShutdown {
        var lastError: String?
        await Periodic.run(initialDelay: startNow ? .zero : interval) {
            do {
                try await work()
                if lastError != nil, let recovery { logger.info(recovery) }
                lastError = nil
            } catch is CancellationError {
                return nil
            } catch {
                if lastError != "\(error)" { logger.warning(failure, metadata: ["error": "\(error)"]) }
                lastError = "\(error)"
            }
            return interval
        }
    }
}
