import Foundation
import KubeModel

/// `backtest --plot`: one SVG with a panel per workload: each metric (per replica for an
/// AverageValue target) against its target line, and below it the replicas as a step line within
/// the min/max bounds, scale events marked. Our own small writer (no plotting library exists for
/// Swift on Linux); pure: the caller writes the text.
public enum BacktestPlot {
    public struct Panel: Sendable {
        public var title: String
        public var steps: [Backtest.Step]
        public var metrics: [Backtest.Metric]
        public var minReplicas: Int32
        public var maxReplicas: Int32
        /// The replicas with other annotations (`--compare`), drawn beside.
        public var comparison: [Backtest.Step]?

        public init(title: String, steps: [Backtest.Step], metrics: [Backtest.Metric], minReplicas: Int32, maxReplicas: Int32, comparison: [Backtest.Step]? = nil) {
            self.title = title
            self.steps = steps
            self.metrics = metrics
            self.minReplicas = minReplicas
            self.maxReplicas = maxReplicas
            self.comparison = comparison
        }
    }

    static let width = 960.0
    static let panelHeight = 420.0
    static let left = 70.0, right = 24.0
    static let colors = ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let replicaColor = "#2ca02c"
    static let compareColor = "#d62728"

    public static func svg(_ panels: [Panel]) -> String {
        let height = Double(max(panels.count, 1)) * panelHeight
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="sans-serif" font-size="11">"# + "\n"
        out += #"<rect width="100%" height="100%" fill="\#("#ffffff")"/>"# + "\n"
        for (index, panel) in panels.enumerated() {
            out += self.panel(panel, top: Double(index) * panelHeight)
        }
        return out + "</svg>\n"
    }

    private static func panel(_ panel: Panel, top: Double) -> String {
        var out = #"<g class="panel" transform="translate(0 \#(f(top)))">"# + "\n"
        let from = panel.steps.first?.time ?? 0
        let to = max(panel.steps.last?.time ?? 1, from + 1)
        let plotWidth = width - left - right
        func x(_ time: Double) -> Double { left + (time - from) / (to - from) * plotWidth }
        out += text(
            panel.title + " — " + Timestamp.rfc3339(Date(timeIntervalSince1970: from)) + " to " + Timestamp.rfc3339(Date(timeIntervalSince1970: to)),
            x: left, y: 22, size: 14, weight: "bold")

        // The metrics: per replica where the target is AverageValue, as the controller compares them.
        let metricTop = 40.0
        let metricHeight = 190.0
        var series: [(name: String, points: [(Double, Double?)], target: Double)] = []
        for metric in panel.metrics {
            let (perReplica, target): (Bool, Double) =
                switch metric.target {
                case .averageValue(let quantity): (true, quantity.doubleValue)
                case .value(let quantity): (false, quantity.doubleValue)
                }
            let points = panel.steps.map { step -> (Double, Double?) in
                let value = step.metrics.first { $0.name == metric.name }?.value
                return (step.time, value.map { perReplica ? $0 / Double(max(step.replicas, 1)) : $0 })
            }
            series.append((metric.name + (perReplica ? " per replica" : ""), points, target))
        }
        let highest = max(series.flatMap { $0.points.compactMap(\.1) + [$0.target] }.max() ?? 1, 1e-9) * 1.1
        func yMetric(_ value: Double) -> Double { metricTop + metricHeight - value / highest * metricHeight }
        out += axes(top: metricTop, height: metricHeight, ticks: niceTicks(upTo: highest), y: yMetric, label: "value")
        for (index, line) in series.enumerated() {
            let color = colors[index % colors.count]
            out += #"<path class="metric" d="\#(path(line.points.map { ($0.0, $0.1.map(yMetric)) }, x: x))" fill="none" stroke="\#(color)" stroke-width="1.5"/>"# + "\n"
            out +=
                #"<line class="target" x1="\#(f(left))" x2="\#(f(width - right))" y1="\#(f(yMetric(line.target)))" y2="\#(f(yMetric(line.target)))" stroke="\#(color)" stroke-dasharray="6 4" stroke-width="1"/>"#
                + "\n"
        }

        // The replicas: a step line within the bounds, scale events marked.
        let replicaTop = 260.0
        let replicaHeight = 110.0
        let ceiling = Double(panel.maxReplicas) + 1
        func yReplicas(_ value: Double) -> Double { replicaTop + replicaHeight - value / ceiling * replicaHeight }
        out += axes(top: replicaTop, height: replicaHeight, ticks: niceTicks(upTo: ceiling), y: yReplicas, label: "replicas")
        for bound in Set([panel.minReplicas, panel.maxReplicas]) {
            out +=
                #"<line class="bound" x1="\#(f(left))" x2="\#(f(width - right))" y1="\#(f(yReplicas(Double(bound))))" y2="\#(f(yReplicas(Double(bound))))" stroke="\#("#999999")" stroke-dasharray="2 3"/>"#
                + "\n"
        }
        func stepLine(_ steps: [Backtest.Step]) -> String {
            var d = ""
            for (index, step) in steps.enumerated() {
                let point = "\(f(x(step.time))) \(f(yReplicas(Double(step.replicas))))"
                d += index == 0 ? "M\(point)" : " H\(f(x(step.time))) V\(f(yReplicas(Double(step.replicas))))"
            }
            return d
        }
        if let comparison = panel.comparison {
            out += #"<path class="compare" data-points="\#(comparison.count)" d="\#(stepLine(comparison))" fill="none" stroke="\#(compareColor)" stroke-width="2" stroke-dasharray="5 3"/>"# + "\n"
        }
        out += #"<path class="replicas" data-points="\#(panel.steps.count)" d="\#(stepLine(panel.steps))" fill="none" stroke="\#(replicaColor)" stroke-width="2"/>"# + "\n"
        for (before, after) in zip(panel.steps, panel.steps.dropFirst()) where after.replicas != before.replicas {
            let up = after.replicas > before.replicas
            out += #"<circle class="scale-\#(up ? "up" : "down")" cx="\#(f(x(after.time)))" cy="\#(f(yReplicas(Double(after.replicas))))" r="3" fill="\#(up ? "#d62728" : "#1f77b4")"/>"# + "\n"
        }
        out += timeAxis(from: from, to: to, y: replicaTop + replicaHeight, x: x)

        // Legend.
        var legendX = left
        for (index, line) in series.enumerated() {
            out += #"<line x1="\#(f(legendX))" x2="\#(f(legendX + 18))" y1="34" y2="34" stroke="\#(colors[index % colors.count])" stroke-width="2"/>"# + "\n"
            out += text("\(line.name) (dashed: target)", x: legendX + 22, y: 38)
            legendX += 30 + Double(line.name.count + 17) * 6
        }
        out += #"<line x1="\#(f(legendX))" x2="\#(f(legendX + 18))" y1="34" y2="34" stroke="\#(replicaColor)" stroke-width="2"/>"# + "\n"
        out += text("replicas (dotted: min/max; dots: scale events)", x: legendX + 22, y: 38)
        if panel.comparison != nil {
            legendX += 290
            out += #"<line x1="\#(f(legendX))" x2="\#(f(legendX + 18))" y1="34" y2="34" stroke="\#(compareColor)" stroke-width="2" stroke-dasharray="5 3"/>"# + "\n"
            out += text("replicas with --compare", x: legendX + 22, y: 38)
        }
        return out + "</g>\n"
    }

    /// A path through the points, broken where a value is missing (a gap).
    private static func path(_ points: [(Double, Double?)], x: (Double) -> Double) -> String {
        var d = ""
        var pen = false
        for (time, y) in points {
            guard let y else {
                pen = false
                continue
            }
            d += (d.isEmpty ? "" : " ") + (pen ? "L" : "M") + "\(f(x(time))) \(f(y))"
            pen = true
        }
        return d
    }

    private static func axes(top: Double, height: Double, ticks: [Double], y: (Double) -> Double, label: String) -> String {
        var out = #"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(width - left - right))" height="\#(f(height))" fill="none" stroke="\#("#cccccc")"/>"# + "\n"
        for tick in ticks {
            out += #"<line x1="\#(f(left - 4))" x2="\#(f(width - right))" y1="\#(f(y(tick)))" y2="\#(f(y(tick)))" stroke="\#("#eeeeee")"/>"# + "\n"
            out += text(tickLabel(tick), x: left - 6, y: y(tick) + 4, anchor: "end")
        }
        return out + text(label, x: 14, y: top + height / 2, anchor: "middle", rotate: true)
    }

    private static func timeAxis(from: Double, to: Double, y: Double, x: (Double) -> Double) -> String {
        let spans: [Double] = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        let every = spans.first { (to - from) / $0 <= 10 } ?? 86400
        var out = ""
        var tick = (from / every).rounded(.up) * every
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = every < 60 ? "HH:mm:ss" : (every >= 86400 ? "MM-dd" : "HH:mm")
        while tick <= to {
            out += #"<line x1="\#(f(x(tick)))" x2="\#(f(x(tick)))" y1="\#(f(y))" y2="\#(f(y + 5))" stroke="\#("#666666")"/>"# + "\n"
            out += text(formatter.string(from: Date(timeIntervalSince1970: tick)), x: x(tick), y: y + 18, anchor: "middle")
            tick += every
        }
        return out + text("time (UTC)", x: width - right, y: y + 34, anchor: "end")
    }

    /// Up to six round tick values from 0.
    static func niceTicks(upTo highest: Double) -> [Double] {
        let raw = highest / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: highest, by: step).map { $0 }
    }

    private static func text(_ content: String, x: Double, y: Double, size: Int = 11, weight: String? = nil, anchor: String = "start", rotate: Bool = false) -> String {
        let transform = rotate ? #" transform="rotate(-90 \#(f(x)) \#(f(y)))""# : ""
        let bold = weight.map { #" font-weight="\#($0)""# } ?? ""
        return #"<text x="\#(f(x))" y="\#(f(y))" font-size="\#(size)" text-anchor="\#(anchor)"\#(bold)\#(transform)>\#(escape(content))</text>"# + "\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: if character.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) { out.append(character) }
            }
        }
        return out
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A tick label: `0`, `2.5`, `40`, `1.5k`.
    static func tickLabel(_ value: Double) -> String {
        if abs(value) >= 1000 { return String(format: value.truncatingRemainder(dividingBy: 1000) == 0 ? "%.0fk" : "%.1fk", value / 1000) }
        return value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.2g", value)
    }
}
