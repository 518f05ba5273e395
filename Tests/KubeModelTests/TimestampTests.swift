import Foundation
import KubeModel
import Testing

@Suite struct TimestampTests {
    @Test func timesAreRFC3339InUTC() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_700_000_060.9)) == "2023-11-14T22:14:20Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        // metav1.MicroTime, as Lease renewals carry it.
        #expect(Timestamp.rfc3339Micro(Date(timeIntervalSince1970: 1_700_000_060.25)) == "2023-11-14T22:14:20.250000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_700_000_060.5), fractional: true) == "2023-11-14T22:14:20.500Z")
    }

    @Test func readsWithAndWithoutFractions() {
        #expect(Timestamp.parse("2023-11-14T22:14:20Z") == Date(timeIntervalSince1970: 1_700_000_060))
        #expect(Timestamp.parse("2023-11-14T22:14:20.250000Z")?.timeIntervalSince1970 == 1_700_000_060.25)
        #expect(Timestamp.parse("2023-11-14 22:14:20") == nil)
    }
}
