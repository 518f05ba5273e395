/// Backslashes and character classes, read as Go 1.19's `regexp/syntax` reads them. Classes are
/// checked, never built: nothing here needs their characters.
extension RegexParser {
    /// `\` outside a class: an assertion, `\Q…\E`, a Unicode or Perl class, or one character.
    mutating func parseBackslash() throws(RegexError) {
        let start = position
        switch scalar(at: start + 1) {
        case "A", "z", "B":
            position += 2
            return try push(.assertion(holdsInEmptyText: true))
        case "b":
            // A word boundary never holds in the empty text.
            position += 2
            return try push(.assertion(holdsInEmptyText: false))
        case "C":
            throw RegexError(.invalidEscape, text(start, start + 2))
        case "Q":
            // Literal up to `\E`, or to the end.
            var index = start + 2
            while index < scalars.count, !(scalars[index] == "\\" && scalar(at: index + 1) == "E") {
                try push(literal(scalars[index]))
                index += 1
            }
            position = min(index + 2, scalars.count)
            return
        case "p", "P":
            try skipUnicodeClass()
            return try push(.characterClass)
        default:
            if skipPerlClass() { return try push(.characterClass) }
        }
        let value = try escapedCharacter()
        // A surrogate (`\x{D800}`) is a character Go accepts and no text holds.
        try push(Unicode.Scalar(value).map { literal($0) } ?? RegexFragment(shape: .literal(foldCase: true), matchesEmpty: false, size: 1, height: 1, runes: 1))
    }

    /// One escaped character at `position` (a `\`): octal, hexadecimal, a C escape or escaped
    /// punctuation. Anything else (`\1` as a backreference, `\8`, `\Z`, `\é`) is refused.
    mutating func escapedCharacter() throws(RegexError) -> UInt32 {
        let start = position
        var index = start + 1
        guard let character = scalar(at: index) else { throw RegexError(.trailingBackslash, "") }
        index += 1
        func isOctal(_ scalar: Unicode.Scalar?) -> Bool { scalar.map { ("0"..."7").contains($0) } ?? false }
        func hexValue(_ scalar: Unicode.Scalar?) -> UInt32? { scalar.flatMap { $0.isASCII ? UInt32(String($0), radix: 16) : nil } }
        escape: switch character {
        case "1"..."7" where isOctal(scalar(at: index)), "0":
            // Up to three octal digits; a lone \1…\7 is a backreference (below).
            var value = character.value - 48
            for _ in 1..<3 where isOctal(scalar(at: index)) {
                value = value * 8 + scalars[index].value - 48
                index += 1
            }
            position = index
            return value
        case "x":
            guard let next = scalar(at: index) else { break }
            index += 1
            if next == "{" {
                var value: UInt32 = 0
                var digits = 0
                while true {
                    guard let digit = scalar(at: index) else { break escape }
                    index += 1
                    if digit == "}" { break }
                    guard let digitValue = hexValue(digit) else { break escape }
                    value = value * 16 + digitValue
                    if value > 0x10FFFF { break escape }
                    digits += 1
                }
                if digits == 0 { break }
                position = index
                return value
            }
            let high = hexValue(next)
            let low = hexValue(scalar(at: index))
            if index < scalars.count { index += 1 }
            guard let high, let low else { break }
            position = index
            return high * 16 + low
        case "a":
            position = index
            return 7
        case "f":
            position = index
            return 12
        case "n":
            position = index
            return 10
        case "r":
            position = index
            return 13
        case "t":
            position = index
            return 9
        case "v":
            position = index
            return 11
        default:
            if character.isASCII, !character.isASCIIAlphanumeric {
                position = index
                return character.value
            }
        }
        throw RegexError(.invalidEscape, text(start, index))
    }

    /// `\p…` or `\P…` at `position`: `\pL`, `\p{Greek}`, `\p{^Greek}`; a name Go 1.19 does not
    /// know is refused.
    mutating func skipUnicodeClass() throws(RegexError) {
        let start = position
        let sequence: String
        var name: Substring
        if let next = scalar(at: start + 2), next != "{" {
            sequence = text(start, start + 3)
            name = Substring(String(next))
            position = start + 3
        } else if scalar(at: start + 2) == nil {
            throw RegexError(.invalidCharRange, text(start, start + 2))
        } else {
            guard let end = scalars[start...].firstIndex(of: "}") else { throw RegexError(.invalidCharRange, text(start, scalars.count)) }
            sequence = text(start, end + 1)
            name = Substring(text(start + 3, end))
            position = end + 1
        }
        if name.first == "^" { name = name.dropFirst() }
        guard UnicodeClassNames.known(name) else { throw RegexError(.invalidCharRange, sequence) }
    }

    /// `\d`, `\D`, `\s`, `\S`, `\w` or `\W` at `position`, skipped; false when it is not one.
    mutating func skipPerlClass() -> Bool {
        guard scalar(at: position) == "\\", let letter = scalar(at: position + 1), "dDsSwW".unicodeScalars.contains(letter) else { return false }
        position += 2
        return true
    }

    /// `[…]` at `position`.
    mutating func parseClass() throws(RegexError) {
        let start = position
        position += 1
        if scalar(at: position) == "^" { position += 1 }
        var first = true
        // `]` first is itself; a class runs to the next `]`, or is missing it.
        while position >= scalars.count || scalars[position] != "]" || first {
            first = false
            if scalar(at: position) == "[", scalar(at: position + 1) == ":", position + 2 < scalars.count, let end = posixClassEnd() {
                let name = text(position, end)
                guard UnicodeClassNames.posix.contains(name) else { throw RegexError(.invalidCharRange, name) }
                position = end
                continue
            }
            if scalar(at: position) == "\\", scalar(at: position + 1) == "p" || scalar(at: position + 1) == "P" {
                try skipUnicodeClass()
                continue
            }
            if skipPerlClass() { continue }
            let rangeStart = position
            let low = try classCharacter(classStart: start)
            if scalar(at: position) == "-", let after = scalar(at: position + 1), after != "]" {
                position += 1
                let high = try classCharacter(classStart: start)
                if high < low { throw RegexError(.invalidCharRange, text(rangeStart, position)) }
            }
        }
        position += 1
        try push(.characterClass)
    }

    /// Where `[:name:]` at `position` ends (after `:]`), or nil when no `:]` follows. Searches
    /// only move forward, so the last search is remembered: a class of many `[:` without a `:]`
    /// is read in linear time, not quadratic.
    private mutating func posixClassEnd() -> Int? {
        let from = position + 2
        if let last = lastColonBracket, last.from <= from, last.at.map({ $0 >= from }) ?? true { return last.at.map { $0 + 2 } }
        var index = from
        var found: Int?
        while index + 1 < scalars.count {
            if scalars[index] == ":", scalars[index + 1] == "]" {
                found = index
                break
            }
            index += 1
        }
        lastColonBracket = (from, found)
        return found.map { $0 + 2 }
    }

    /// One character of a class, escaped or not.
    private mutating func classCharacter(classStart: Int) throws(RegexError) -> UInt32 {
        guard let character = scalar(at: position) else { throw RegexError(.missingBracket, text(classStart, scalars.count)) }
        if character == "\\" { return try escapedCharacter() }
        position += 1
        return character.value
    }
}
