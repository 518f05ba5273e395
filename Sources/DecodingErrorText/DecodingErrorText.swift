/// Error messages a user can act on, for YAML syntax errors and Codable decoding errors: the one
/// place that turns them into text.
import Foundation
import Yams

/// A YAML syntax error as one line: `line 3, column 5: <problem>`, in the input's terms (never
/// libyaml's function names, never the whole input). `lineOffset` is added to every line, for a
/// document parsed on its own out of a longer file.
public enum YAMLErrorText {
    public static func describe(_ error: any Error, lineOffset: Int = 0) -> String {
        if case DecodingError.dataCorrupted(let context) = error, let underlying = context.underlyingError { return describe(underlying, lineOffset: lineOffset) }
        guard let yamlError = error as? YamlError else { return String(describing: error) }
        switch yamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line + lineOffset), column \(mark.column): \(plain(problem))"
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0.prefix(80))'" }.joined(separator: ", ")
            return "line \(context.mark.line + lineOffset), column \(context.mark.column): \(keys) \(duplicates.count == 1 ? "appears" : "appear") more than once in one mapping"
        case .reader(let problem, _, _, _):
            return plain(problem)
        case .memory:
            return "too large to parse"
        case .dataCouldNotBeDecoded:
            return "is not UTF-8 text"
        case .no, .writer, .emitter, .representer:
            return "cannot be read as YAML"
        }
    }

    /// The line a YAML error points at, when it has one.
    public static func line(of error: any Error) -> Int? {
        if case DecodingError.dataCorrupted(let context) = error, let underlying = context.underlyingError { return line(of: underlying) }
        guard let yamlError = error as? YamlError else { return nil }
        switch yamlError {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return nil
        }
    }

    /// libyaml's problem texts, minus the C API they name.
    private static func plain(_ problem: String) -> String {
        if problem.hasPrefix("Maximum nesting level reached") { return "nested more than \(maximumNesting) levels deep" }
        return problem
    }

    /// libyaml's default nesting limit.
    static let maximumNesting = 1000
}

/// A `DecodingError` as one line naming the field path: `spec.replicas: expected Int32, found "x"`.
public enum DecodingErrorText {
    public static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return String(describing: error) }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop(while: { $0 == "." }).description
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "\(parent.isEmpty ? "" : parent + ".")\(key.stringValue): required field is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? YamlError { return YAMLErrorText.describe(underlying) }
            let where_ = path(context.codingPath)
            return where_.isEmpty ? context.debugDescription : "\(where_): \(context.debugDescription)"
        @unknown default:
            return String(describing: decodingError)
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int32.Type, is Int64.Type, is Int.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            // Yams names its node types Mapping and Sequence.
            if name.hasPrefix("Array") || name == "Sequence" { return "a list" }
            if name.hasPrefix("Dictionary") || name == "Mapping" { return "a mapping" }
            return "a \(name) object"
        }
    }
}

/// Why bytes are not JSON, in one line: `not JSON: invalid value around character 8`, or
/// `a number out of range (1e400)` for valid JSON that no Double holds; nil when they are JSON.
/// Foundation's decoder only says "not valid JSON"; its serializer says where and why.
public enum JSONSyntaxText {
    public static func problem(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
            if detail.hasPrefix("Number "), detail.hasSuffix(" is not representable in Swift.") {
                let number = detail.dropFirst("Number ".count).dropLast(" is not representable in Swift.".count)
                return "a number out of range (\(number.prefix(40)))"
            }
            guard !detail.isEmpty else { return "not JSON" }
            let sentence = detail.hasSuffix(".") ? String(detail.dropLast()) : detail
            return "not JSON: " + sentence.prefix(1).lowercased() + sentence.dropFirst().prefix(200)
        }
    }
}
