/// A selector string that could not be read; the message quotes it and says where.
public struct SelectorParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var selector: String
    public var problem: String

    public var description: String { "invalid label selector '\(selector)': \(problem)" }
}

extension Selector {
    /// Parses the text form used by `kubectl -l` and the metrics APIs:
    /// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.
    public init(parsing text: String) throws(SelectorParseError) {
        var scanner = SelectorScanner(text: text)
        var requirements: [LabelRequirement] = []
        scanner.skipSpaces()
        while !scanner.atEnd {
            requirements.append(try scanner.requirement())
            scanner.skipSpaces()
            if scanner.atEnd { break }
            guard scanner.consume(",") else { throw scanner.failure("expected ',' at position \(scanner.position)") }
            scanner.skipSpaces()
            if scanner.atEnd { throw scanner.failure("a requirement must follow ','") }
        }
        self.init(requirements)
    }
}

private struct SelectorScanner {
    let text: String
    let characters: [Character]
    var index = 0

    init(text: String) {
        self.text = text
        self.characters = Array(text)
    }

    var atEnd: Bool { index >= characters.count }
    var position: Int { index + 1 }

    func failure(_ problem: String) -> SelectorParseError {
        SelectorParseError(selector: text, problem: problem)
    }

    mutating func skipSpaces() {
        while !atEnd, characters[index] == " " { index += 1 }
    }

    mutating func consume(_ literal: String) -> Bool {
        let expected = Array(literal)
        guard index + expected.count <= characters.count, Array(characters[index..<index + expected.count]) == expected else {
            return false
        }
        index += expected.count
        return true
    }

    /// Letters, digits and `-_./` — the characters of label keys and values.
    mutating func word() -> String {
        let start = index
        while !atEnd, characters[index].isLetter || characters[index].isNumber || "-_./".contains(characters[index]) {
            index += 1
        }
        return String(characters[start..<index])
    }

    mutating func requirement() throws(SelectorParseError) -> LabelRequirement {
        if consume("!") {
            skipSpaces()
            let key = word()
            guard !key.isEmpty else { throw failure("'!' must be followed by a label key") }
            return LabelRequirement(key: key, operator: .doesNotExist)
        }
        let key = word()
        guard !key.isEmpty else { throw failure("expected a label key at position \(position)") }
        skipSpaces()
        if consume("!=") { return LabelRequirement(key: key, operator: .notEquals, values: [try value()]) }
        if consume("==") || consume("=") { return LabelRequirement(key: key, operator: .equals, values: [try value()]) }
        let save = index
        let keyword = word()
        switch keyword {
        case "in": return LabelRequirement(key: key, operator: .in, values: try valueSet())
        case "notin": return LabelRequirement(key: key, operator: .notIn, values: try valueSet())
        default:
            index = save
            guard atEnd || characters[index] == "," else {
                throw failure("unexpected '\(characters[index])' after key '\(key)' at position \(position)")
            }
            return LabelRequirement(key: key, operator: .exists)
        }
    }

    mutating func value() throws(SelectorParseError) -> String {
        skipSpaces()
        let value = word()
        guard value.count <= 63 else { throw failure("value '\(value)' is longer than 63 characters") }
        return value
    }

    mutating func valueSet() throws(SelectorParseError) -> [String] {
        skipSpaces()
        guard consume("(") else { throw failure("expected '(' at position \(position)") }
        var values: [String] = []
        while true {
            values.append(try value())
            skipSpaces()
            if consume(")") { break }
            guard consume(",") else { throw failure("expected ',' or ')' at position \(position)") }
        }
        guard values.contains(where: { !$0.isEmpty }) else { throw failure("a value set must not be empty") }
        return values
    }
}
