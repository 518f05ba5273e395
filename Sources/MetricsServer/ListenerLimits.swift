/// The bounds every port of the process holds its connections to: the metrics API, the
/// Alertmanager receiver and (passed through `Manager.Configuration`) the health and metrics port.
public enum ListenerLimits {
    /// A connection with no complete request part for this long (idle between keep-alive
    /// requests, or a request head half-sent) is closed.
    public static let idleTimeout = Duration.seconds(120)
}
