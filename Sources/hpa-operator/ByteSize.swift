import ArgumentParser
import HTTPTransport

/// A size in bytes on the command line: `67108864`, `64Mi`, `512Ki`, `1Gi` (binary units, as
/// Kubernetes writes them), or `100M` (decimal).
struct ByteSize: ExpressibleByArgument {
    var bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let units: [(String, Int)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("k", 1_000), ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000)]
        let (digits, factor) = units.first { argument.hasSuffix($0.0) }.map { (String(argument.dropLast($0.0.count)), $0.1) } ?? (argument, 1)
        guard let value = Int(digits), value > 0, case (let bytes, let overflow) = value.multipliedReportingOverflow(by: factor), !overflow else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String { HTTPError.size(bytes).replacingOccurrences(of: " MiB", with: "Mi").replacingOccurrences(of: " KiB", with: "Ki") }
}
