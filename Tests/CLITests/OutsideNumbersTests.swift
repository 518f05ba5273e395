import Foundation
import Hummingbird
import TestSupport
import Testing

/// Numbers from outside never trap (found by fuzzing the release binary): a Prometheus sample
/// time far beyond any calendar, and `--time` values that are no time at all.
@Suite struct OutsideNumbersTests {
    @Test(arguments: ["1e19", "NaN", "inf", "-1e300", "99999999999999"])
    func aTimeThatIsNoTimeIsRefused(_ time: String) async throws {
        let result = try await CLI.run(["query", "--prometheus-server", "http://127.0.0.1:1", "--time=\(time)", "vector(1)"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--time: '\(time)' is neither RFC 3339"), "\(result.stderr)")
    }

    @Test(arguments: ["1e19", "1e15", "-1e300"])
    func aSampleTimeBeyondAnyCalendarIsReportedNotCrashedOn(_ sampleTime: String) async throws {
        let body = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[\#(sampleTime),"3"]}]}}"#
        let prometheus = try await TestHTTPServer.start { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let result = try await CLI.run(["query", "--prometheus-server", prometheus.url, "vector(3)"])
        await prometheus.stop()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("value:    3"))
        #expect(result.stdout.contains("not a time: out of range"), "\(result.stdout)")
    }
}
