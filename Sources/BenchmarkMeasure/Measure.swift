import Foundation

/// Measurements the `make bench-*` programs share.
public enum Measure {
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The `p` quantile (0.99: p99) of `values`, by rank; NaN when there are none.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// This process's peak resident memory (VmHWM), in MB. Not getrusage's ru_maxrss: Linux keeps
    /// that across exec, so a child started by a large parent would report the parent's peak.
    public static var peakRSSMegabytes: Double {
        statusMegabytes("VmHWM:")
    }

    /// CPU time (user + system) this process has used, in seconds.
    public static var cpuSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Asks glibc to give freed heap memory back to the system (`malloc_trim(0)`), so what stays
    /// resident afterwards is memory in use. No-op where malloc_trim is missing.
    public static func returnFreedMemory() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    /// This process's resident memory now (VmRSS), in MB.
    public static var currentRSSMegabytes: Double {
        statusMegabytes("VmRSS:")
    }

    /// Another process's peak resident memory (VmHWM), in MB; 0 when it is gone.
    public static func peakRSSMegabytes(of pid: Int32) -> Double {
        statusMegabytes("VmHWM:", of: "\(pid)")
    }

    /// Another process's resident memory now (VmRSS), in MB; 0 when it is gone.
    public static func currentRSSMegabytes(of pid: Int32) -> Double {
        statusMegabytes("VmRSS:", of: "\(pid)")
    }

    /// Another process's resident memory now split into anonymous pages (heap, stacks) and file
    /// pages (its binary's code and mapped data: shared, and the kernel can drop them), in MB.
    public static func residentParts(of pid: Int32) -> (anonymous: Double, file: Double) {
        (statusMegabytes("RssAnon:", of: "\(pid)"), statusMegabytes("RssFile:", of: "\(pid)"))
    }

    /// A kB figure of /proc/<process>/status, in MB.
    private static func statusMegabytes(_ field: String, of process: String = "self") -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(process)/status", encoding: .utf8)) ?? ""
        let kilobytes = status.split(separator: "\n").first { $0.hasPrefix(field) }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Double($0) }
        return (kilobytes ?? 0) / 1024
    }

    /// Runs this same program with `arguments` and returns what it printed, trimmed.
    public static func runSelf(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
