import Logging

extension Logger {
    /// A logger for tests: only critical lines, so a run's output shows the tests, not the parts.
    public static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}
