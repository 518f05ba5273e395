import Foundation
import TestSupport
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// `backtest` against Debian's Prometheus holding a series written by promtool: a known load gives
/// a known replica series, gaps are reported, and a chunked range reads the same as one.
@Suite struct BacktestCommandTests {
    static let start = 1_714_564_800.0  // 2024-05-01T12:00:00Z

    /// load: 10 for 5 minutes, 100 for 5, 20 for 5, then nothing for 10 minutes, then 20 again.
    static func openMetrics() -> String {
        var lines = ["# TYPE load gauge"]
        for second in stride(from: 0, through: 1800, by: 15) {
            let value: Int? =
                switch second {
                case ...300: 10
                case ...600: 100
                case ...900: 20
                case ...1500: nil
                default: 20
                }
            if let value { lines.append("load{app=\"web\"} \(value) \(Int(start) + second)") }
        }
        return lines.joined(separator: "\n") + "\n# EOF\n"
    }

    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: shop
          annotations:
            hpa.autoscaling.banzaicloud.io/minReplicas: "1"
            hpa.autoscaling.banzaicloud.io/maxReplicas: "20"
            hpa.autoscaling.banzaicloud.io/scaleDownStabilizationWindowSeconds: "0"
            prometheus.load.hpa.autoscaling.banzaicloud.io/query: sum(load{app="web"})
            prometheus.load.hpa.autoscaling.banzaicloud.io/targetAverageValue: "10"
        spec:
          replicas: 1
        """

    @Test func aKnownLoadGivesAKnownReplicaSeries() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: Self.openMetrics())
        defer { prometheus.stop() }
        let file = try CLI.manifest(Self.manifest)
        let arguments = ["backtest", "-f", file, "--prometheus-server", prometheus.url, "--from", "2024-05-01T12:00:00Z", "--to", "2024-05-01T12:30:00Z", "--step", "15s"]
        let json = try await CLI.run(arguments + ["-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let steps = try #require(reports.first?["steps"] as? [[String: Any]])
        #expect(steps.count == 121)
        #expect(steps.first?["time"] as? String == "2024-05-01T12:00:00Z")
        let replicas = steps.map { $0["replicas"] as? Int ?? -1 }
        // 10 at 10 per replica: 1. Then 100: up by the default policy (4 pods or 100 % per 15 s), 1 → 5 → 10.
        #expect(replicas[0...20].allSatisfy { $0 == 1 }, "\(replicas)")
        #expect(Array(replicas[21...23]) == [5, 10, 10], "\(replicas)")
        // 20: down at once (window 0, 100 % per 15 s) to 2; held through the gap; 2 after it.
        #expect(Array(replicas[41...42]) == [2, 2], "\(replicas)")
        #expect(replicas[41...].allSatisfy { $0 == 2 }, "\(replicas)")
        let summary = try #require(reports.first?["summary"] as? [String: Any])
        #expect(summary["scaleUps"] as? Int == 2 && summary["scaleDowns"] as? Int == 1)
        #expect(summary["minReplicas"] as? Int == 1 && summary["maxReplicas"] as? Int == 10)
        // The gap: Prometheus looks back 5 minutes, so the series is missing for about the last 5 of its 10 silent minutes.
        let gaps = try #require(summary["gaps"] as? [[String: Any]])
        #expect(gaps.count == 1, "\(gaps)")
        let seconds = (gaps.first?["to"] as? Double ?? 0) - (gaps.first?["from"] as? Double ?? 0)
        #expect((270...330).contains(seconds), "\(gaps)")
        // A step's metrics carry the value and the proposal.
        let metric = try #require((steps[22]["metrics"] as? [[String: Any]])?.first)
        #expect(metric["name"] as? String == "load" && metric["value"] as? Double == 100 && metric["proposal"] as? Int == 10)

        // The plot: well-formed SVG, one panel, one replica point per step.
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-\(UUID().uuidString).svg")
        _ = try await CLI.run(arguments + ["--plot", plot.path])
        let svg = try Data(contentsOf: plot)
        let reader = SVGReader()
        let parser = XMLParser(data: svg)
        parser.delegate = reader
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(reader.panels == 1)
        let replicaPath = try #require(reader.replicaPaths.first)
        #expect(replicaPath.filter { $0 == "M" || $0 == "H" }.count == 121, "one point per step")
        #expect(reader.texts.contains { $0.hasPrefix("shop/web — 2024-05-01T12:00:00Z to 2024-05-01T12:30:00Z") })
        #expect(reader.scaleEvents == 3)

        let table = try await CLI.run(arguments)
        #expect(table.stdout.hasPrefix("NAME   STEPS   REPLICAS (MIN/MEAN/MAX)"), "\(table.stdout)")
        #expect(table.stdout.contains("web: load: no data from 2024-05-01T12:2"), "\(table.stdout)")
    }

    /// --compare: the same window with a proposed target of 20 per replica, side by side.
    @Test func aProposedChangeIsSimulatedBeside() async throws {
        let prometheus = try await PrometheusFixture.start(openMetrics: Self.openMetrics())
        defer { prometheus.stop() }
        let file = try CLI.manifest(Self.manifest)
        let proposal = try CLI.manifest(Self.manifest.replacingOccurrences(of: #"targetAverageValue: "10""#, with: #"targetAverageValue: "20""#))
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString).svg")
        let arguments = [
            "backtest", "-f", file, "--compare", proposal, "--prometheus-server", prometheus.url,
            "--from", "2024-05-01T12:00:00Z", "--to", "2024-05-01T12:15:00Z", "--step", "15s", "--plot", plot.path,
        ]
        let json = try await CLI.run(arguments + ["-o", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.first)
        let mine = (report["steps"] as? [[String: Any]] ?? []).map { $0["replicas"] as? Int ?? -1 }
        let theirs = ((report["comparison"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []).map { $0["replicas"] as? Int ?? -1 }
        #expect(mine.max() == 10 && theirs.max() == 5, "mine \(mine), proposed \(theirs)")
        #expect(theirs.count == mine.count && theirs.last == 1)
        let table = try await CLI.run(arguments)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.count >= 3 && lines[1].hasPrefix("web ") && lines[2].hasPrefix("web (compare) "), "\(table.stdout)")
        #expect(try String(contentsOf: plot, encoding: .utf8).contains(#"class="compare""#))
    }

    @Test func badWindowsAndUnreadableMetricsAreSaid() async throws {
        let file = try CLI.manifest(Self.manifest)
        let backwards = try await CLI.run(["backtest", "-f", file, "--from", "2024-05-01T12:30:00Z", "--to", "2024-05-01T12:00:00Z"])
        #expect(backwards.status == 64 && backwards.stderr.contains("--to must be after --from"))
        let half = try await CLI.run(["backtest", "-f", file, "--from", "2024-05-01T12:30:00Z"])
        #expect(half.status == 64 && half.stderr.contains("--from and --to go together"))
        // Nothing listens there: the metric's error is said, and every step is a gap (the controller holds).
        let down = try await CLI.run(["backtest", "-f", file, "--prometheus-server", "http://127.0.0.1:9", "--last", "2m"])
        #expect(down.status == 0)
        #expect(down.stdout.contains("web: load: Prometheus http://127.0.0.1:9"), "\(down.stdout)")
    }
}

/// What the tests read of a backtest plot.
final class SVGReader: NSObject, XMLParserDelegate {
    var panels = 0
    var replicaPaths: [String] = []
    var scaleEvents = 0
    var texts: [String] = []
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        let kind = attributes["class"] ?? ""
        if element == "g", kind == "panel" { panels += 1 }
        if element == "path", kind == "replicas" { replicaPaths.append(attributes["d"] ?? "") }
        if element == "circle", kind.hasPrefix("scale-") { scaleEvents += 1 }
        if element == "text" {
            inText = true
            texts.append("")
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if element == "text" { inText = false }
    }
}

extension BacktestCommandTests {
    /// #17: with --enforce-namespace-label the backtest reads the workload's own namespace, as the
    /// collector would; a query naming another namespace is reported, not run.
    @Test func withEnforcementTheBacktestReadsTheWorkloadsNamespace() async throws {
        var lines = ["# TYPE load gauge"]
        for second in stride(from: 0, through: 300, by: 15) {
            lines.append("load{app=\"web\",namespace=\"shop\"} 10 \(Int(Self.start) + second)")
            lines.append("load{app=\"web\",namespace=\"other\"} 90 \(Int(Self.start) + second)")
        }
        let prometheus = try await PrometheusFixture.start(openMetrics: lines.joined(separator: "\n") + "\n# EOF\n")
        defer { prometheus.stop() }
        let common = [
            "backtest", "--prometheus-server", prometheus.url, "--from", "2024-05-01T12:00:00Z", "--to", "2024-05-01T12:05:00Z",
            "--enforce-namespace-label", "namespace", "-o", "json",
        ]
        let result = try await CLI.run(common + ["-f", try CLI.manifest(Self.manifest)])
        #expect(result.status == 0, "\(result.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let replicas = (reports.first?["steps"] as? [[String: Any]] ?? []).map { $0["replicas"] as? Int ?? -1 }
        #expect(!replicas.isEmpty && replicas.allSatisfy { $0 == 1 }, "shop's 10 at 10 per replica, not 100: \(replicas)")

        let sneaky = Self.manifest.replacingOccurrences(of: #"sum(load{app="web"})"#, with: #"sum(load{namespace="other"})"#)
        let refused = try await CLI.run(common + ["-f", try CLI.manifest(sneaky)])
        #expect((refused.stdout + refused.stderr).contains("could select series of namespaces other than shop"), "\(refused.stdout)\(refused.stderr)")
    }
}
