import Autoscaling
import DecodingErrorText
import Foundation
import KubeModel
import Yams

/// A Deployment or StatefulSet read from a manifest.
enum Workload {
    case deployment(Deployment)
    case statefulSet(StatefulSet)

    var kind: String {
        switch self {
        case .deployment: return Deployment.kind
        case .statefulSet: return StatefulSet.kind
        }
    }

    var metadata: ObjectMeta {
        switch self {
        case .deployment(let workload): return workload.metadata
        case .statefulSet(let workload): return workload.metadata
        }
    }

    /// `spec.replicas`, 1 when absent (the apiserver's default).
    var replicas: Int32 {
        switch self {
        case .deployment(let workload): return workload.spec?.replicas ?? 1
        case .statefulSet(let workload): return workload.spec?.replicas ?? 1
        }
    }

    func desiredHPA(style: MetricStyle) -> DesiredHPA {
        switch self {
        case .deployment(let workload): return DesiredHPA(for: workload, style: style)
        case .statefulSet(let workload): return DesiredHPA(for: workload, style: style)
        }
    }

    /// Its annotations, read.
    var reading: AnnotationReading {
        switch self {
        case .deployment(let workload): AnnotationParser.parse(workload)
        case .statefulSet(let workload): AnnotationParser.parse(workload)
        }
    }

    /// A pause or a freeze; nil when none is asked for (or the annotations are invalid).
    var hold: Hold? {
        guard case .valid(let spec, _) = reading, spec.hold.description != nil else { return nil }
        return spec.hold
    }

    /// What the operator does beside the HPA when minReplicas is 0; nil otherwise.
    var scaleToZero: (ScaleToZero, thresholds: [String: Quantity])? {
        guard case .valid(let spec, _) = reading, let zero = spec.scaleToZero else { return nil }
        return (zero, spec.activationThresholds)
    }

    /// The line `render` prints above the HPA of a workload that scales to zero.
    var scaleToZeroComment: String? {
        guard let (zero, thresholds) = scaleToZero else { return nil }
        if zero.native {
            return "minReplicas 0: the HPA controller scales \(kind) \(metadata.name ?? "") to 0 and back (scaleToZero native: needs Kubernetes' HPAScaleToZero feature gate); this HPA's floor is 0"
        }
        let active = thresholds.sorted { $0.key < $1.key }.map { "\($0.key) > \($0.value)" }.joined(separator: " or ")
        return
            "minReplicas 0: hpa-operator scales \(kind) \(metadata.name ?? "") between 0 and 1 replicas (active while \(active); to 0 after \(Activation.durationText(zero.cooldown)) inactive); this HPA's floor is 1"
    }
}

/// What one manifest document turned out to be.
enum ManifestItem {
    case workload(Workload, location: String)
    /// Read fine, but not something we autoscale: a one-line note.
    case skipped(String)
    /// Unreadable: a message naming the file and line.
    case failed(String)
}

/// Reads Kubernetes manifests: files, directories (their .yaml, .yml and .json files, not recursing)
/// or `-` for standard input. YAML may hold several documents and `kind: List` documents.
enum ManifestReader {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    static func read(_ paths: [String]) -> [ManifestItem] {
        paths.flatMap { path -> [ManifestItem] in
            if path == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                return items(in: String(decoding: data, as: UTF8.self), file: "<stdin>")
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                return [.failed("\(path): no such file or directory")]
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            return files.flatMap { file -> [ManifestItem] in
                guard let data = FileManager.default.contents(atPath: file) else {
                    return [.failed("\(file): cannot be read (check its permissions)")]
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    return [.failed("\(file): is not UTF-8 text")]
                }
                return items(in: text, file: file)
            }
        }
    }

    static func items(in text: String, file: String) -> [ManifestItem] {
        var items: [ManifestItem] = []
        let documents = documents(of: text)
        for document in documents {
            do {
                // No resolver rules: tags are resolved by PlainScalar, without regular expressions.
                var nodes = try Yams.compose_all(yaml: String(document.text), .basic)
                while let node = nodes.next() {
                    do {
                        try YAMLExpansion.check(node, limit: YAMLExpansion.limit(forBytes: document.text.utf8.count))
                    } catch {
                        items.append(.failed("\(file):\((error.line ?? 1) + document.lineOffset): \(error)"))
                        continue
                    }
                    items += self.items(in: node, file: file, lineOffset: document.lineOffset)
                }
                if let error = nodes.error { throw error }
            } catch {
                if documents.count == 1, let json = readAsJSON(text, file: file) { return json }
                items.append(.failed(syntaxError(error, file: file, lineOffset: document.lineOffset)))
            }
        }
        return items
    }

    /// The documents of a YAML stream, each with the number of lines before it, split at the
    /// `---` and `...` markers YAML allows only at the start of a line (never inside content), so a
    /// broken document (a duplicate key) does not stop the ones after it. A stream with directives
    /// (`%YAML`) is left whole.
    static func documents(of text: String) -> [(text: Substring, lineOffset: Int)] {
        func isMarker(_ line: Substring, _ marker: String) -> Bool {
            guard line.hasPrefix(marker) else { return false }
            let rest = line.dropFirst(3)
            return rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "\r"
        }
        var documents: [(text: Substring, lineOffset: Int)] = []
        var start = text.startIndex
        var startLine = 0
        var line = 0
        var index = text.startIndex
        while index < text.endIndex {
            let end = text[index...].firstIndex(of: "\n") ?? text.endIndex
            let content = text[index..<end]
            let next = end < text.endIndex ? text.index(after: end) : end
            if content.hasPrefix("%") { return [(text[...], 0)] }
            if isMarker(content, "---"), index > start {
                documents.append((text[start..<index], startLine))
                start = index
                startLine = line
            } else if isMarker(content, "...") {
                documents.append((text[start..<next], startLine))
                start = next
                startLine = line + 1
            }
            line += 1
            index = next
        }
        if start < text.endIndex || documents.isEmpty { documents.append((text[start...], startLine)) }
        return documents
    }

    private static func syntaxError(_ error: any Error, file: String, lineOffset: Int) -> String {
        guard let line = YAMLErrorText.line(of: error) else { return "\(file): \(YAMLErrorText.describe(error))" }
        return "\(file):\(line + lineOffset): \(YAMLErrorText.describe(error, lineOffset: lineOffset))"
    }

    /// JSON that YAML refused: libyaml rejects escaped surrogate pairs ("\ud83d\ude00"), which
    /// JSON (`kubectl get -o json`) allows. Read that way it has no line numbers, so YAML goes first.
    private static func readAsJSON(_ text: String, file: String) -> [ManifestItem]? {
        guard text.first(where: { !$0.isWhitespace }) == "{",
            let json = try? JSONValue(parsing: Data(text.utf8))
        else { return nil }
        return items(in: Node(json), file: file, lineOffset: 0)
    }

    private static func syntaxError(_ error: any Error, file: String) -> String {
        guard let line = YAMLErrorText.line(of: error) else { return "\(file): \(YAMLErrorText.describe(error))" }
        return "\(file):\(line): \(YAMLErrorText.describe(error))"
    }

    private static func items(in node: Node, file: String, lineOffset: Int) -> [ManifestItem] {
        let location = node.mark.map { "\(file):\($0.line + lineOffset)" } ?? file
        guard node.mapping != nil else {
            // Empty documents (a trailing `---`, comments only) are nothing; anything else is said.
            if case .scalar = node, node.null != nil { return [] }
            return [.skipped("\(location): skipped a document that is not an object (a Kubernetes manifest is a mapping with apiVersion and kind)")]
        }
        // One linear pass to JSON, then Foundation's decoder: Yams' own decoder looks each key up
        // by a linear search, which made a workload with 2,000 metrics take seconds.
        let json: Data
        do { json = try JSONEncoder().encode(JSONValue(node)) } catch {
            return [.failed("\(location): \(error)")]
        }
        let decoder = JSONDecoder()
        let type = (try? decoder.decode(TypeMeta.self, from: json)) ?? TypeMeta()
        let kind = type.kind ?? ""
        if kind == "List" || kind.hasSuffix("List") && node["items"] != nil {
            guard let list = node["items"]?.sequence else {
                return [.failed("\(location): \(kind): items is not a list")]
            }
            return list.flatMap { items(in: $0, file: file, lineOffset: lineOffset) }
        }
        let meta = (try? decoder.decode(NameOnly.self, from: json))?.metadata
        let name = ObjectMeta(name: meta?.name, namespace: meta?.namespace).qualifiedName
        guard kind == Deployment.kind || kind == StatefulSet.kind else {
            return [.skipped("\(location): skipped \(kind.isEmpty ? "document without kind" : kind) \(name): only Deployments and StatefulSets are autoscaled")]
        }
        guard type.apiVersion == WorkloadReference.apiVersion else {
            return [.skipped("\(location): skipped \(kind) \(name): apiVersion \(type.apiVersion ?? "(none)") is not apps/v1")]
        }
        do {
            let workload: Workload =
                kind == Deployment.kind
                ? .deployment(try decoder.decode(Deployment.self, from: json))
                : .statefulSet(try decoder.decode(StatefulSet.self, from: json))
            return [.workload(workload, location: location)]
        } catch {
            return [.failed("\(location): \(kind) \(name): \(DecodingErrorText.describe(error))")]
        }
    }

    /// Just the name, so a document with other broken fields can still be named in messages.
    private struct NameOnly: Decodable {
        struct Meta: Decodable {
            var name: String?
            var namespace: String?
        }
        var metadata: Meta?
    }
}

extension JSONValue {
    /// A YAML node as JSON, with YAML's core schema for scalars (a quoted `"1"` stays a string).
    init(_ node: Node) {
        switch node {
        case .scalar(let scalar):
            // Quoted and block scalars are strings; plain ones resolve as YAML's core schema does.
            guard scalar.style == .plain || scalar.style == .any else {
                self = .string(scalar.string)
                return
            }
            // An explicit `!!str` keeps the text. (Composed with the basic resolver, a value's tag
            // stays implicit until something hashes the node; only mapping keys are hashed.)
            self = scalar.tag.rawValue == Tag.Name.str.rawValue ? .string(scalar.string) : PlainScalar.value(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(mapping.count)
            for (key, value) in mapping { members[key.string ?? ""] = JSONValue(value) }
            self = .object(members)
        case .sequence(let sequence):
            self = .array(sequence.map(JSONValue.init))
        case .alias:
            self = .null
        }
    }
}

extension Node {
    /// JSON as a YAML node, keys sorted, with every scalar tagged so that what is written reads
    /// back as the same type (a string "40" stays quoted).
    init(_ json: JSONValue) {
        typealias Tags = PlainScalar.Tags
        switch json {
        case .null: self = Node("null", Tags.null)
        case .bool(let value): self = Node(value ? "true" : "false", Tags.bool)
        case .integer(let value): self = Node(String(value), Tags.int)
        case .number(let value):
            let integral = value == value.rounded() && abs(value) < 1e15
            self = Node(integral ? String(Int64(value)) : String(value), integral ? Tags.int : Tags.float)
        case .string(let text):
            // Quoted where YAML would read it as something else (40, true, null, 1e3, '').
            let ambiguous = PlainScalar.value(text) != .string(text)
            self = Node(text, Tags.str, ambiguous ? .singleQuoted : .any)
        case .array(let items): self = .sequence(Node.Sequence(items.map(Node.init), Tags.seq))
        case .object(let members): self = .mapping(Node.Mapping(members.sorted { $0.key < $1.key }.map { (Node($0.key, Tags.str), Node($0.value)) }, Tags.map))
        }
    }
}

/// What a plain (unquoted) YAML scalar means, by the YAML 1.1 rules Kubernetes' YAML reader and
/// Yams' default resolver share (`yes` and `on` are true, `~` is null, `0x1f` and `1_000` are
/// numbers), without Yams' regular expressions: composing with them was most of render's time.
enum PlainScalar {
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
    static let bools: [String: Bool] = [
        "yes": true, "Yes": true, "YES": true, "no": false, "No": false, "NO": false,
        "true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false,
        "on": true, "On": true, "ON": true, "off": false, "Off": false, "OFF": false,
    ]

    /// Tags made once: Yams builds a whole constructor (three dictionaries) for every `Tag` made
    /// without one, which was a tenth of render's time. Only the `implicit` tag is ever resolved
    /// (mutated), and the integer and float readers do not look at it.
    enum Tags {
        nonisolated(unsafe) static let constructor = Constructor.default
        nonisolated(unsafe) static let implicit = Tag(.implicit, .basic, constructor)
        nonisolated(unsafe) static let null = Tag(.null, .basic, constructor)
        nonisolated(unsafe) static let bool = Tag(.bool, .basic, constructor)
        nonisolated(unsafe) static let int = Tag(.int, .basic, constructor)
        nonisolated(unsafe) static let float = Tag(.float, .basic, constructor)
        nonisolated(unsafe) static let str = Tag(.str, .basic, constructor)
        nonisolated(unsafe) static let seq = Tag(.seq, .basic, constructor)
        nonisolated(unsafe) static let map = Tag(.map, .basic, constructor)
    }

    static func value(_ text: String) -> JSONValue {
        if nulls.contains(text) { return .null }
        if let bool = bools[text] { return .bool(bool) }
        // Numbers start with a digit, a sign or a point; everything else is text.
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return .string(text) }
        let scalar = Node.Scalar(text, Tags.implicit)
        if let value = Int.construct(from: scalar) { return .integer(Int64(value)) }
        if let value = Double.construct(from: scalar), value.isFinite { return .number(value) }
        return .string(text)
    }
}
