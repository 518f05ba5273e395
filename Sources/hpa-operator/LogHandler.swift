import ArgumentParser
import Foundation
import KubeModel
import Logging
import Synchronization

/// Log output: `text` (`2026-11-24T21:00:00Z info hpa-operator: message key=value`) or `json`
/// (one object per line with time, level, message and every metadata field), on stderr.
enum LogFormat: String, CaseIterable {
    case text, json
}

struct LineLogHandler: LogHandler {
    static let output = Mutex<FileHandle>(FileHandle.standardError)

    let label: String
    let format: LogFormat
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = Timestamp.rfc3339(Date())
        var line: String
        switch format {
        case .text:
            line = "\(time) \(event.level) \(label): \(event.message)"
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(Self.quoted("\(value)"))" }
        case .json:
            var object: [String: String] = ["time": time, "level": "\(event.level)", "message": "\(event.message)", "logger": label]
            for (key, value) in fields { object[key] = "\(value)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            line = (try? String(decoding: encoder.encode(object), as: UTF8.self)) ?? "{}"
        }
        Self.output.withLock { $0.write(Data((line + "\n").utf8)) }
    }

    private static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
