import DecodingErrorText
import Foundation
import KubeModel

/// The validating admission webhook's answer for Deployments and StatefulSets: their annotations
/// read exactly as the operator reads them (`DesiredHPA`), every problem one warning line
/// `<key>: <problem>` that `kubectl apply` prints. Allowed always, unless `denyInvalid`, which
/// refuses invalid annotations with the same text. Pure: bytes in, status and bytes out. The
/// answer comes from the request alone: the apiserver calls the webhook without credentials, so
/// anyone who reaches the port may ask, and nothing of the cluster (another namespace's HPAs, say)
/// may be in it. An HPA in the way is the reconcile's `HPAConflict` Event instead.
public struct WorkloadAdmission: Sendable {
    /// Larger bodies are refused unread (two objects of etcd's 1.5 MB at most, with room).
    public static let maximumBody = 4 * 1024 * 1024

    public var style: MetricStyle
    public var denyInvalid: Bool

    public init(style: MetricStyle, denyInvalid: Bool) {
        self.style = style
        self.denyInvalid = denyInvalid
    }

    /// An HTTP status and body, as the metrics API's server writes them.
    public typealias Answer = (status: Int, body: Data)

    @Sendable public func review(_ body: Data) -> Answer {
        guard body.count <= Self.maximumBody else { return Self.badRequest("the body is \(body.count) bytes, more than the \(Self.maximumBody) an AdmissionReview may have") }
        let review: AdmissionReview
        do {
            review = try JSONDecoder().decode(AdmissionReview.self, from: body)
        } catch {
            return Self.badRequest("the body is not an AdmissionReview: \(Self.describe(error, body))")
        }
        guard review.apiVersion == AdmissionReview.apiVersion, review.kind == "AdmissionReview" else {
            return Self.badRequest(
                "expected apiVersion \(AdmissionReview.apiVersion), kind AdmissionReview; got \(ExternalText.sanitized(review.apiVersion ?? "none", limit: 60)), \(ExternalText.sanitized(review.kind ?? "none", limit: 60)) (list only v1 in admissionReviewVersions)"
            )
        }
        guard let request = review.request else { return Self.badRequest("the AdmissionReview has no request") }
        // Most writes in a cluster are not ours: answered without reading the object.
        guard body.range(of: Self.domain) != nil, request.kind?.group == "apps", request.kind?.version == "v1" else { return Self.allow(request.uid) }
        /// The object read as that kind (nil when it cannot be: the apiserver validates it, not us).
        func read<Kind>(_: AppsWorkload<Kind>.Type) -> (DesiredHPA, AnnotationReading)? {
            guard let workload = try? JSONDecoder().decode(AdmissionReview.Object<AppsWorkload<Kind>>.self, from: body).request?.object else { return nil }
            let reading = AnnotationParser.parse(workload)
            return (DesiredHPA(reading, for: workload, style: style), reading)
        }
        let read =
            switch request.kind?.kind {
            case Deployment.kind: read(Deployment.self)
            case StatefulSet.kind: read(StatefulSet.self)
            default: nil as (DesiredHPA, AnnotationReading)?
            }
        guard let (desired, reading) = read else { return Self.allow(request.uid) }
        switch desired {
        case .none:
            return Self.allow(request.uid)
        case .invalid(let problems):
            let lines = problems.map(\.description)
            if denyInvalid && problems.contains(where: \.isError) {
                return Self.answer(
                    AdmissionReview.Response(
                        uid: request.uid, allowed: false, warnings: lines,
                        status: Status(
                            message: "invalid \(AnnotationKeys.domain) annotations: " + lines.joined(separator: "; "), reason: "Invalid", code: 422)))
            }
            return Self.answer(AdmissionReview.Response(uid: request.uid, allowed: true, warnings: lines))
        case .hpa(_, let warnings):
            var lines = warnings.map(\.description)
            // A pause or a freeze is said at every apply, so nobody forgets it is on.
            if case .valid(let spec, _) = reading, let held = spec.hold.description {
                lines.append("\(AnnotationKeys.domain): autoscaling is held: \(held); remove the annotation to resume")
            }
            return Self.answer(AdmissionReview.Response(uid: request.uid, allowed: true, warnings: lines.isEmpty ? nil : lines))
        }
    }

    static let domain = Data(AnnotationKeys.domain.utf8)

    static func allow(_ uid: String) -> Answer { answer(AdmissionReview.Response(uid: uid, allowed: true)) }

    static func answer(_ response: AdmissionReview.Response) -> Answer {
        // kubectl prints these on the user's terminal: printable and bounded, whatever the keys
        // (the apiserver truncates warnings past 4 KB in all).
        var response = response
        response.warnings = response.warnings?.map { ExternalText.sanitized($0, limit: 1_000) }
        if let message = response.status?.message { response.status?.message = ExternalText.sanitized(message, limit: 3_000) }
        return (200, (try? JSONEncoder().encode(AdmissionReview(response: response))) ?? Data())
    }

    static func badRequest(_ message: String) -> Answer {
        (400, (try? JSONEncoder().encode(Status(message: message, reason: "BadRequest", code: 400))) ?? Data())
    }

    private static func describe(_ error: any Error, _ body: Data) -> String {
        if case DecodingError.dataCorrupted(let context) = error, context.codingPath.isEmpty {
            do { _ = try JSONValue(parsing: body) } catch { return error.description }
        }
        return ExternalText.sanitized(DecodingErrorText.describe(error), limit: 300)
    }
}
