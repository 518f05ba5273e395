import Foundation
import KubeModel

/// What `hpa-operator check` verifies after an install, as plain functions of what it read: one
/// result per check, saying what is wrong and what to do. No I/O here (the command gathers).
public enum InstallChecks {
    public struct Result: Hashable, Sendable, Encodable {
        public var check: String
        public var ok: Bool
        /// What was found.
        public var message: String
        /// What to do about it; nil when it passed.
        public var hint: String?

        public init(check: String, ok: Bool, message: String, hint: String? = nil) {
            self.check = check
            self.ok = ok
            self.message = message
            self.hint = hint
        }

        /// `✔ apiservice v1beta2.custom.metrics.k8s.io: Available` or `✘ …: message (hint)`.
        public var line: String {
            let text = "\(ok ? "✔" : "✘") \(check): \(message)" + (hint.map { " — \($0)" } ?? "")
            return ExternalText.sanitized(text, limit: 1_000)
        }
    }

    /// An object read, or why it could not be (the apiserver's words).
    public typealias Read<T> = Swift.Result<T, ReadError>

    public struct ReadError: Error, Hashable, Sendable {
        public var message: String
        public var notFound: Bool
        public init(_ message: String, notFound: Bool = false) {
            self.message = message
            self.notFound = notFound
        }
    }

    public static func apiService(_ name: String, _ read: Read<APIService>) -> Result {
        let check = "apiservice \(name)"
        switch read {
        case .failure(let error) where error.notFound:
            return Result(check: check, ok: false, message: "not registered", hint: "install it (config/default or the chart's apiServices values)")
        case .failure(let error):
            return Result(check: check, ok: false, message: "cannot be read: \(error.message)", hint: "the checking identity needs get on apiservices")
        case .success(let service):
            guard let available = service.status?.conditions?.first(where: { $0.type == "Available" }) else {
                return Result(check: check, ok: false, message: "has no Available condition yet", hint: "wait for the aggregator (--wait)")
            }
            if available.status == "True" { return Result(check: check, ok: true, message: "Available") }
            let why = [available.reason, available.message].compactMap { $0 }.joined(separator: ": ")
            return Result(
                check: check, ok: false, message: "not Available (\(why.isEmpty ? available.status : why))",
                hint: "the aggregator cannot reach the operator's Service: check the operator pods are ready and the caBundle is set")
        }
    }

    public static func rollout(namespace: String, name: String, _ read: Read<Deployment>) -> Result {
        let check = "deployment \(namespace)/\(name)"
        switch read {
        case .failure(let error):
            return Result(
                check: check, ok: false, message: error.notFound ? "not found" : "cannot be read: \(error.message)",
                hint: error.notFound ? "is the operator installed in \(namespace)? (--operator-namespace, --operator-deployment)" : nil)
        case .success(let deployment):
            let wanted = deployment.spec?.replicas ?? 1
            let status = deployment.status
            let (updated, available) = (status?.updatedReplicas ?? 0, status?.availableReplicas ?? 0)
            if let generation = deployment.metadata.generation, (status?.observedGeneration ?? 0) < generation {
                return Result(check: check, ok: false, message: "the new spec is not rolled out yet", hint: "wait (--wait), or kubectl -n \(namespace) rollout status deploy/\(name)")
            }
            if updated < wanted || available < wanted {
                return Result(
                    check: check, ok: false, message: "\(available) of \(wanted) replicas available, \(updated) updated",
                    hint: "kubectl -n \(namespace) describe deploy/\(name) and its pods' events")
            }
            return Result(check: check, ok: true, message: "rolled out, \(available)/\(wanted) available")
        }
    }

    public static func leader(namespace: String, name: String, _ read: Read<Lease>, now: Date) -> Result {
        let check = "leader lease \(namespace)/\(name)"
        switch read {
        case .failure(let error):
            return Result(
                check: check, ok: false, message: error.notFound ? "no Lease yet" : "cannot be read: \(error.message)",
                hint: error.notFound ? "the operator has not elected a leader: is it running with --leader-elect?" : nil)
        case .success(let lease):
            guard let holder = lease.spec?.holderIdentity, !holder.isEmpty else {
                return Result(check: check, ok: false, message: "no one holds it", hint: "the operator pods are not running or cannot update the Lease")
            }
            let renewed = lease.spec?.renewTime.flatMap(Timestamp.parse)
            let duration = Double(lease.spec?.leaseDurationSeconds ?? 15)
            if let renewed, now.timeIntervalSince(renewed) > duration {
                return Result(
                    check: check, ok: false, message: "held by \(holder) but not renewed for \(Int(now.timeIntervalSince(renewed))) s",
                    hint: "the leader is gone or cannot reach the apiserver; another replica takes over after \(Int(duration)) s")
            }
            return Result(check: check, ok: true, message: "held by \(holder)")
        }
    }

    /// A trivial query answered; nil error means it was.
    public static func prometheus(_ url: String, error: String?) -> Result {
        let check = "prometheus \(url)"
        guard let error else { return Result(check: check, ok: true, message: "answers queries") }
        return Result(check: check, ok: false, message: error, hint: "check --prometheus-server (the chart's prometheus.server) and that the operator's namespace may reach it")
    }

    /// Discovery of one group/version through the aggregator: the resources listed, or why not.
    public static func discovery(_ groupVersion: String, _ read: Read<Int>) -> Result {
        let check = "metrics API \(groupVersion)"
        switch read {
        case .success(let count):
            return Result(check: check, ok: true, message: "served through the aggregator (\(count) metric\(count == 1 ? "" : "s") collected)")
        case .failure(let error):
            return Result(check: check, ok: false, message: "discovery failed: \(error.message)", hint: "see the APIService check; kubectl get --raw /apis/\(groupVersion)")
        }
    }

    /// The workload's HPA exists and the HPA controller reads its metrics.
    public static func workload(_ name: String, _ read: Read<HorizontalPodAutoscaler>) -> Result {
        let check = "workload \(name)"
        switch read {
        case .failure(let error):
            return Result(
                check: check, ok: false, message: error.notFound ? "has no HPA" : "HPA cannot be read: \(error.message)",
                hint: error.notFound ? "kubectl describe the workload: InvalidHPAAnnotations or HPAConflict events say why" : nil)
        case .success(let hpa):
            let active = hpa.status?.conditions?.first { $0.type == "ScalingActive" }
            if active?.status == "False" {
                return Result(
                    check: check, ok: false, message: "HPA exists, but its metrics do not read: \(active?.message ?? active?.reason ?? "")",
                    hint: "hpa-operator query runs the HPA's query as the collector does")
            }
            let metrics = hpa.status?.currentMetrics ?? []
            guard !metrics.isEmpty else {
                return Result(check: check, ok: false, message: "HPA exists, but the HPA controller shows no current metrics yet", hint: "wait (--wait)")
            }
            return Result(check: check, ok: true, message: "HPA has current metrics (\(metrics.count))")
        }
    }
}
