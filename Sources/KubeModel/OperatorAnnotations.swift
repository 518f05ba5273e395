/// Annotation keys under the operator's domain that both sides read: the workload carries them
/// (parsed in `Autoscaling`), and the generated HPA carries the fallback ones on to the collector,
/// which every replica runs (`Collector` reads them there). Also usable on hand-written HPAs.
public enum OperatorAnnotations {
    public static let domain = "hpa.autoscaling.banzaicloud.io"
    /// Replicas to hold while the HPA's Prometheus metrics cannot be read.
    public static let fallbackReplicas = "\(domain)/fallbackReplicas"
    /// How long a metric must have failed before its fallback applies (default: 3 × its interval).
    public static let fallbackAfter = "\(domain)/fallbackAfter"
}
