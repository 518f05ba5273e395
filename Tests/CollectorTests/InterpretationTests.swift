import KubeModel
import Testing

@testable import Collector

@Suite struct InterpretationTests {
    static func vector(_ values: String..., labels: [[String: String]] = []) -> QueryResult {
        .vector(
            values.enumerated().map { index, value in
                PrometheusSample(labels: index < labels.count ? labels[index] : ["instance": "i\(index)"], time: 1_700_000_060, value: value)
            })
    }

    static let singles: [(QueryResult, Int?, Result<String, MetricError>)] = [
        (vector("9.166666666666666"), nil, .success("9167m")),
        (vector("0.2225"), nil, .success("222m")),
        (vector("1.5"), nil, .success("1500m")),
        (vector("40"), nil, .success("40")),
        (vector("1000"), nil, .success("1k")),
        (vector("10000"), nil, .success("10k")),
        (vector("2500000"), nil, .success("2500k")),
        (vector("1e+06"), nil, .success("1M")),
        (vector("-0.5"), nil, .success("-500m")),
        (vector("0"), nil, .success("0")),
        (.scalar(PrometheusSample(time: 1, value: "1")), nil, .success("1")),
        (vector(), nil, .failure(.noData)),
        (vector("1", "2"), nil, .failure(.tooManySeries(2))),
        (vector("NaN"), nil, .failure(.notFinite("NaN"))),
        (.scalar(PrometheusSample(time: 1, value: "+Inf")), nil, .failure(.notFinite("+Inf"))),
        (vector("-Inf"), nil, .failure(.notFinite("-Inf"))),
        (vector("1e20"), nil, .failure(.outOfRange("1e20"))),
        (.matrix([PrometheusSeries(labels: [:], points: [(1, "1")])]), nil, .failure(.rangeVector)),
        (.string(time: 1, value: "abc"), nil, .failure(.stringResult("abc"))),
        // per-replica: divided exactly, then rounded once
        (vector("100"), 3, .success("33333m")),
        (vector("0.001"), 2, .success("0")),
        (vector("0.003"), 2, .success("2m")),
        (vector("120"), 4, .success("30")),
        (vector("120"), 0, .failure(.zeroReplicas(target: "Deployment/shop"))),
    ]

    @Test(arguments: singles.indices)
    func single(_ index: Int) {
        let (result, replicas, expected) = Self.singles[index]
        let reading = Interpretation.single(result, perReplica: replicas, target: "Deployment/shop").map(\.value.description)
        #expect(reading == expected)
    }

    @Test func sampleTimeIsKept() throws {
        let reading = try Interpretation.single(Self.vector("5")).get()
        #expect(reading.sampleTime == 1_700_000_060)
    }

    @Test func podsMapEachSeriesToItsPod() throws {
        let result = Self.vector("5.833333333333333", "3.333333333333333", labels: [["pod": "shop-1"], ["pod": "shop-2", "app": "shop"]])
        let readings = try Interpretation.pods(result).get().mapValues(\.value.description)
        #expect(readings == ["shop-1": "5833m", "shop-2": "3333m"])
    }

    @Test func podsRefuseWhatIsNotOneSeriesPerPod() {
        #expect(Interpretation.pods(Self.vector()).failure == .noData)
        #expect(Interpretation.pods(Self.vector("1", labels: [["app": "x"]])).failure == .podLabelMissing(labels: ["app": "x"]))
        #expect(Interpretation.pods(Self.vector("1", "2", labels: [["pod": "a"], ["pod": "a"]])).failure == .duplicatePod("a"))
        #expect(Interpretation.pods(Self.vector("1", "NaN", labels: [["pod": "a"], ["pod": "b"]])).failure == .notFinite("NaN"))
        #expect(Interpretation.pods(.scalar(PrometheusSample(time: 1, value: "1"))).failure == .podsNeedVector("scalar"))
    }

    @Test func messagesTellTheUserWhatToDo() {
        #expect(MetricError.tooManySeries(2).description == "query returned 2 series; aggregate with sum() or max()")
        #expect(MetricError.noData.description.contains("never taken as 0"))
        #expect(MetricError.rangeVector.description.contains("instant vector"))
        #expect(MetricError.prometheus(.api(errorType: "bad_data", message: "parse error")).description == "Prometheus error (bad_data): parse error")
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
