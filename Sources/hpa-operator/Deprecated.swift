import ArgumentParser

/// A flag's old spelling, kept working for manifests that carry it: hidden from help, and a
/// warning on stderr names the new one. `validate()` folds it into the new option.
func deprecated<Value>(_ old: Value?, _ oldName: String, use newName: String) -> Value? {
    if old != nil { printError("warning: \(oldName) is deprecated; use \(newName)") }
    return old
}

/// The help of a deprecated spelling: not listed.
let deprecatedHelp = ArgumentHelp(visibility: .private)

/// Every command's `-o`: `text` (a table or lines, as kubectl prints by default; `table` is the
/// same), `json`, and `yaml` where the output is Kubernetes objects.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, yaml

    init?(argument: String) {
        self.init(rawValue: argument == "table" ? "text" : argument)
    }

    /// Refuses a format this command does not write.
    static func check(_ format: OutputFormat, among allowed: [OutputFormat]) throws {
        guard allowed.contains(format) else {
            throw ValidationError("-o \(format.rawValue) is not written here; use \(allowed.map(\.rawValue).joined(separator: " or "))")
        }
    }
}
