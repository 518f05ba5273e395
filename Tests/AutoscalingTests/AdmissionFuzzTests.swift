import Foundation
import KubeModel
import TestSupport
import Testing

@testable import Autoscaling

/// Whatever reaches the webhook, the answer is a 200 AdmissionReview carrying the uid or a 400
/// Status with a printable reason, never a crash: mutated copies of the real apiserver's bytes.
@Suite struct AdmissionFuzzTests {
    @Test func mutatedReviewsGetAnAnswer() throws {
        let original = String(decoding: try Data(contentsOf: WorkloadAdmissionTests.captured), as: UTF8.self)
        var fuzzer = Fuzzer()
        for iteration in 0..<Fuzzer.iterations {
            let body = fuzzer.mutate(original)
            for deny in [false, true] {
                let answer = WorkloadAdmission(style: .object, denyInvalid: deny).review(Data(body.utf8))
                let context = "seed \(Fuzzer.seed) iteration \(iteration)"
                switch answer.status {
                case 200:
                    let response = try #require(try? JSONDecoder().decode(AdmissionReview.self, from: answer.body).response, "\(context): no response")
                    for line in (response.warnings ?? []) + [response.status?.message].compactMap({ $0 }) {
                        if let unfit = Fuzzer.unfit(line, limit: 10_000) { Issue.record("\(context): a warning \(unfit)") }
                    }
                case 400:
                    let status = try #require(try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any], "\(context): no Status")
                    let message = status["message"] as? String ?? ""
                    if let unfit = Fuzzer.unfit(message) { Issue.record("\(context): a reason \(unfit): \(message.prefix(200).debugDescription)") }
                default:
                    Issue.record("\(context): status \(answer.status)")
                }
            }
        }
    }
}
