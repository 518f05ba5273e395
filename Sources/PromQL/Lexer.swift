/// One token of a query and where it starts (a UTF-8 offset).
struct Token: Equatable {
    enum Kind: Equatable {
        case number(Double)
        case string(String)
        /// Milliseconds.
        case duration(Int64)
        /// An identifier or keyword (`rate`, `sum`, `by`, `job:rate5m`); keywords are told apart by the parser.
        case word(String)
        case symbol(Symbol)
        case end
    }

    enum Symbol: String {
        case leftParen = "("
        case rightParen = ")"
        case leftBrace = "{"
        case rightBrace = "}"
        case leftBracket = "["
        case rightBracket = "]"
        case comma = ","
        case colon = ":"
        case at = "@"
        case plus = "+"
        case minus = "-"
        case star = "*"
        case slash = "/"
        case percent = "%"
        case caret = "^"
        case equalEqual = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case assign = "="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    var kind: Kind
    var offset: Int
    /// The token's text as written.
    var text: Substring

    /// How an error names this token.
    var described: String {
        switch kind {
        case .end: "end of input"
        case .number: "number \"\(text)\""
        case .string: "string \(text.count > 40 ? text.prefix(40) + "…" : text)"
        case .duration: "duration \"\(text)\""
        case .word(let word): Keywords.isKeyword(word) ? "\"\(word)\"" : "identifier \"\(word)\""
        case .symbol(let symbol): "\"\(symbol.rawValue)\""
        }
    }
}

/// Splits a query into tokens the way Prometheus's lexer does: inside `{…}` words are label
/// names and `=~`/`!~` are operators; inside `[…]` there are only durations and `:`.
struct Lexer {
    let source: [UInt8]
    let text: String
    private var position = 0
    private var braceOpen = false
    private var bracketOpen = false

    init(_ query: String) {
        text = query
        source = Array(query.utf8)
    }

    mutating func tokens() throws(PromQLError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func error(_ message: String, at offset: Int, expected: String? = nil) -> PromQLError {
        PromQLError(message, at: offset, in: source, expected: expected)
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        position + ahead < source.count ? source[position + ahead] : nil
    }

    private func slice(_ start: Int) -> Substring {
        let lower = text.utf8.index(text.startIndex, offsetBy: start)
        let upper = text.utf8.index(text.startIndex, offsetBy: position)
        return text[lower..<upper]
    }

    private mutating func next() throws(PromQLError) -> Token {
        skipSpaceAndComments()
        let start = position
        guard let byte = peek() else {
            if braceOpen { throw error("unexpected end of input inside braces", at: start, expected: "a label matcher or \"}\"") }
            if bracketOpen { throw error("unexpected end of input inside brackets", at: start, expected: "\"]\"") }
            return Token(kind: .end, offset: start, text: "")
        }
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "`") {
            let value = try string(quote: byte)
            return Token(kind: .string(value), offset: start, text: slice(start))
        }
        if braceOpen { return try insideBraces(byte, start: start) }
        if bracketOpen {
            switch byte {
            case UInt8(ascii: ":"): return symbol(.colon, start)
            case UInt8(ascii: "]"):
                bracketOpen = false
                return symbol(.rightBracket, start)
            case _ where Self.isDigit(byte):
                let token = try numberOrDuration(start)
                guard case .duration = token.kind else { throw error("missing unit character in duration \"\(token.text)\"", at: start, expected: "a duration such as 5m") }
                return token
            default:
                throw error("unexpected character \(Self.quoted(byte, at: start, in: text)) inside brackets", at: start, expected: "a duration, \":\" or \"]\"")
            }
        }
        switch byte {
        case UInt8(ascii: "("): return symbol(.leftParen, start)
        case UInt8(ascii: ")"): return symbol(.rightParen, start)
        case UInt8(ascii: "{"):
            braceOpen = true
            return symbol(.leftBrace, start)
        case UInt8(ascii: "}"): return symbol(.rightBrace, start)
        case UInt8(ascii: "["):
            bracketOpen = true
            return symbol(.leftBracket, start)
        case UInt8(ascii: "]"): return symbol(.rightBracket, start)
        case UInt8(ascii: ","): return symbol(.comma, start)
        case UInt8(ascii: "@"): return symbol(.at, start)
        case UInt8(ascii: "+"): return symbol(.plus, start)
        case UInt8(ascii: "-"): return symbol(.minus, start)
        case UInt8(ascii: "*"): return symbol(.star, start)
        case UInt8(ascii: "/"): return symbol(.slash, start)
        case UInt8(ascii: "%"): return symbol(.percent, start)
        case UInt8(ascii: "^"): return symbol(.caret, start)
        case UInt8(ascii: "="):
            if peek(1) == UInt8(ascii: "=") { return symbol(.equalEqual, start, length: 2) }
            if peek(1) == UInt8(ascii: "~") { throw error("\"=~\" outside braces", at: start, expected: "a label matcher inside {…}") }
            return symbol(.assign, start)
        case UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "=") { return symbol(.notEqual, start, length: 2) }
            throw error("unexpected character after \"!\"", at: start, expected: "\"!=\"")
        case UInt8(ascii: "<"): return peek(1) == UInt8(ascii: "=") ? symbol(.lessOrEqual, start, length: 2) : symbol(.less, start)
        case UInt8(ascii: ">"): return peek(1) == UInt8(ascii: "=") ? symbol(.greaterOrEqual, start, length: 2) : symbol(.greater, start)
        case _ where Self.isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true):
            return try numberOrDuration(start)
        case _ where Self.isAlpha(byte) || byte == UInt8(ascii: ":"):
            while let next = peek(), Self.isAlpha(next) || Self.isDigit(next) || next == UInt8(ascii: ":") { position += 1 }
            let word = String(slice(start))
            let lower = word.lowercased()
            if lower == "inf" { return Token(kind: .number(.infinity), offset: start, text: slice(start)) }
            if lower == "nan" { return Token(kind: .number(.nan), offset: start, text: slice(start)) }
            return Token(kind: .word(word), offset: start, text: slice(start))
        default:
            throw error("unexpected character \(Self.quoted(byte, at: start, in: text))", at: start)
        }
    }

    private mutating func symbol(_ symbol: Token.Symbol, _ start: Int, length: Int = 1) -> Token {
        position += length
        return Token(kind: .symbol(symbol), offset: start, text: slice(start))
    }

    private mutating func insideBraces(_ byte: UInt8, start: Int) throws(PromQLError) -> Token {
        switch byte {
        case UInt8(ascii: ","): return symbol(.comma, start)
        case UInt8(ascii: "}"):
            braceOpen = false
            return symbol(.rightBrace, start)
        case UInt8(ascii: "="): return peek(1) == UInt8(ascii: "~") ? symbol(.regexMatch, start, length: 2) : symbol(.assign, start)
        case UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "~") { return symbol(.regexNoMatch, start, length: 2) }
            if peek(1) == UInt8(ascii: "=") { return symbol(.notEqual, start, length: 2) }
            throw error("unexpected character after \"!\" inside braces", at: start, expected: "\"!=\" or \"!~\"")
        case _ where Self.isAlpha(byte):
            while let next = peek(), Self.isAlpha(next) || Self.isDigit(next) { position += 1 }
            return Token(kind: .word(String(slice(start))), offset: start, text: slice(start))
        default:
            throw error("unexpected character \(Self.quoted(byte, at: start, in: text)) inside braces", at: start, expected: "a label matcher or \"}\"")
        }
    }

    private mutating func skipSpaceAndComments() {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                position += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = peek(), next != UInt8(ascii: "\n") { position += 1 }
            } else {
                return
            }
        }
    }

    /// A number (decimal, hex, octal with a leading 0, exponents) or, when units follow, a duration.
    private mutating func numberOrDuration(_ start: Int) throws(PromQLError) -> Token {
        var hex = false
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            hex = true
            position += 2
        }
        while let byte = peek(), hex ? Self.isHexDigit(byte) : Self.isDigit(byte) { position += 1 }
        var fraction = false
        if peek() == UInt8(ascii: ".") {
            fraction = true
            position += 1
            while let byte = peek(), hex ? Self.isHexDigit(byte) : Self.isDigit(byte) { position += 1 }
        }
        if !hex, let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            fraction = true
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            while let byte = peek(), Self.isDigit(byte) { position += 1 }
        }
        if let next = peek(), Self.isAlpha(next) || Self.isDigit(next) {
            // Units follow: a duration such as 5m or 1h30m, made of whole numbers only.
            position = start
            while let byte = peek(), Self.isAlpha(byte) || Self.isDigit(byte) { position += 1 }
            let text = slice(start)
            guard let milliseconds = DurationText.parse(text) else {
                throw error("bad number or duration \"\(text)\"", at: start, expected: "a number, or a duration such as 5m or 1h30m (units y, w, d, h, m, s, ms, largest first)")
            }
            // Prometheus holds durations in nanoseconds: about 292 years at most.
            guard milliseconds <= DurationText.maxMilliseconds else { throw error("duration out of range: \"\(text)\" is longer than 292 years", at: start) }
            return Token(kind: .duration(milliseconds), offset: start, text: text)
        }
        let text = slice(start)
        // Prometheus's reading: a whole number in 64 bits (0x… hexadecimal, a leading 0 octal),
        // else a float, which must not overflow to infinity.
        let value: Double?
        if hex {
            value = fraction ? nil : Int64(text.dropFirst(2), radix: 16).map { Double($0) }
        } else if !fraction, text.count > 1, text.first == "0", let octal = Int64(text.dropFirst(), radix: 8) {
            value = Double(octal)
        } else {
            value = Double(text)
        }
        guard let value else { throw error("bad number \"\(text)\"", at: start) }
        guard value.isFinite else { throw error("number out of range: \"\(text.count > 40 ? text.prefix(40) + "…" : text)\" is past the largest 64-bit float (about 1.8e308)", at: start) }
        return Token(kind: .number(value), offset: start, text: text)
    }

    /// A quoted string's value: Go's escapes in "…" and '…', none in `…`.
    private mutating func string(quote: UInt8) throws(PromQLError) -> String {
        let start = position
        position += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated quoted string", at: start) }
            position += 1
            if byte == quote { break }
            if quote == UInt8(ascii: "`") {
                bytes.append(byte)
                continue
            }
            if byte == UInt8(ascii: "\n") { throw error("unterminated quoted string (a newline inside quotes)", at: start) }
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            try escape(quote: quote, into: &bytes)
        }
        guard let value = String(validating: bytes, as: UTF8.self) else { throw error("the string is not valid UTF-8", at: start) }
        return value
    }

    private mutating func escape(quote: UInt8, into bytes: inout [UInt8]) throws(PromQLError) {
        let start = position - 1
        guard let byte = peek() else { throw error("escape sequence not terminated", at: start) }
        position += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12, UInt8(ascii: "n"): 10,
            UInt8(ascii: "r"): 13, UInt8(ascii: "t"): 9, UInt8(ascii: "v"): 11, UInt8(ascii: "\\"): UInt8(ascii: "\\"), quote: quote,
        ]
        if let value = simple[byte] {
            bytes.append(value)
            return
        }
        let (count, radix, isByte): (Int, Int, Bool)
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "7"):
            (count, radix, isByte) = (3, 8, true)
            position -= 1
        case UInt8(ascii: "x"): (count, radix, isByte) = (2, 16, true)
        case UInt8(ascii: "u"): (count, radix, isByte) = (4, 16, false)
        case UInt8(ascii: "U"): (count, radix, isByte) = (8, 16, false)
        default:
            throw error("unknown escape sequence \\\(Self.quoted(byte, at: position - 1, in: text).dropFirst().dropLast())", at: start)
        }
        guard position + count <= source.count,
            let value = UInt32(String(decoding: source[position..<position + count], as: UTF8.self), radix: radix)
        else {
            throw error("bad escape sequence (\(count) \(radix == 8 ? "octal" : "hex") digits expected)", at: start)
        }
        position += count
        if isByte {
            guard value <= 255 else { throw error("escape sequence is not a byte", at: start) }
            bytes.append(UInt8(value))
        } else {
            guard let scalar = Unicode.Scalar(value) else { throw error("escape sequence is an invalid Unicode code point", at: start) }
            bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }
    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    /// The character at `offset` in quotes, for messages (whole, even when it is several bytes).
    static func quoted(_ byte: UInt8, at offset: Int, in text: String) -> String {
        let index = text.utf8.index(text.startIndex, offsetBy: offset)
        let character = text[index...].first.map(String.init) ?? String(UnicodeScalar(byte))
        return "\"\(character)\""
    }
}
