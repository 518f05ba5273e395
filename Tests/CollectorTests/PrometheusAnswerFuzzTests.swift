import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import Collector

/// Prometheus answers (or whatever answers in its place) are outside input: mutated valid answers
/// never trap (a timestamp of 9.3e18 once did), and every error we would print is printable and
/// bounded (the fuzzing of 700 answers that found those, kept as a test).
@Suite struct PrometheusAnswerFuzzTests {
    static let answers = [
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"web-1"},"value":[1700000060.5,"12.5"]},{"metric":{"pod":"web-2"},"value":[1700000060,"NaN"]}]}}"#,
        #"{"status":"success","data":{"resultType":"scalar","result":[1700000060,"4"]},"warnings":["PromQL info: bucket label is missing"]}"#,
        #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000030,"+Inf"]]}]}}"#,
        #"{"status":"success","data":{"resultType":"string","result":[1700000060,"text"]}}"#,
        #"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \"}\" in aggregation"}"#,
    ]

    @Test func mutatedAnswersGiveAValueOrAPrintableError() {
        var fuzzer = Fuzzer()
        for iteration in 0..<Fuzzer.iterations {
            let body = fuzzer.mutate(fuzzer.pick(Self.answers))
            let status = fuzzer.pick([200, 200, 200, 400, 422, 500, 503])
            var messages: [String] = []
            do {
                let answer = try PrometheusClient.decode(HTTPResponse(status: status, headers: [], body: Data(body.utf8)))
                messages += answer.warnings  // logged as they are
                switch Interpretation.single(answer.result, perReplica: fuzzer.pick([nil, 1, 3])) {
                case .success(let reading): _ = reading
                case .failure(let error): messages.append(error.description)
                }
                if case .failure(let error) = Interpretation.pods(answer.result) { messages.append(error.description) }
            } catch {
                messages.append(error.description)
            }
            for message in messages {
                if let unfit = Fuzzer.unfit(message) {
                    Issue.record("seed \(Fuzzer.seed) iteration \(iteration): \(unfit): \(message.prefix(200).debugDescription) from \(body.prefix(300).debugDescription)")
                }
            }
        }
    }
}
