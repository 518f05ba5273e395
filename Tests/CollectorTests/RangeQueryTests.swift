import Foundation
import HPASimulation
import KubeModel
import TestSupport
import Testing

@testable import Collector

/// query_range against Debian's Prometheus: a window read in chunks is the window read at once.
@Suite struct RangeQueryTests {
    @Test func chunksReadTheSameAsOneRange() async throws {
        let start = 1_714_564_800
        let lines = stride(from: 0, through: 600, by: 15).map { "ramp \(Double($0) / 7) \(start + $0)" }
        let prometheus = try await PrometheusFixture.start(openMetrics: "# TYPE ramp gauge\n" + lines.joined(separator: "\n") + "\n# EOF\n")
        defer { prometheus.stop() }
        let client = PrometheusClient(server: PrometheusServer(url: prometheus.url))
        func points(from: Double, to: Double) async throws -> [Double: String] {
            let response = try await client.queryRange("ramp", start: Date(timeIntervalSince1970: from), end: Date(timeIntervalSince1970: to), step: .seconds(15), timeout: .seconds(10))
            guard case .matrix(let series) = response.result else {
                Issue.record("not a matrix: \(response.result)")
                return [:]
            }
            return Dictionary(uniqueKeysWithValues: (series.first?.points ?? []).map { ($0.time, $0.value) })
        }
        let whole = try await points(from: Double(start), to: Double(start + 600))
        #expect(whole.count == 41)
        var chunked: [Double: String] = [:]
        let chunks = RangeChunks.split(from: Double(start), to: Double(start + 600), step: 15, maximumPoints: 7)
        #expect(chunks.count == 6)
        for chunk in chunks {
            chunked.merge(try await points(from: chunk.start, to: chunk.end)) { first, _ in first }
        }
        #expect(chunked == whole)
        // A range past the point limit is Prometheus's error, in its words.
        await #expect(throws: PrometheusError.self) {
            _ = try await client.queryRange("ramp", start: Date(timeIntervalSince1970: 0), end: Date(timeIntervalSince1970: 20_000), step: .seconds(1), timeout: .seconds(10))
        }
    }
}
