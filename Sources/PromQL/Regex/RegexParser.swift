/// Go's `regexp/syntax` parser with Prometheus's flags (`syntax.Perl`), as of Go 1.19: the same
/// grammar, the same refusals in the same order, the same limits (counts ≤ 1000 and their nested
/// product ≤ 1000, tree height ≤ 1000, about 3.3 million instructions). It reads one scalar at a
/// time with a stack of open groups, like Go's, and keeps for each piece only a `RegexFragment`.
struct RegexParser {
    static let maxRepeat = 1000
    static let maxHeight = 1000
    /// Go's `maxSize`: 128 MB of 40-byte instructions.
    static let maxSize = (128 << 20) / 40
    /// Go's `maxRunes`: 128 MB of 4-byte characters.
    static let maxRunes = (128 << 20) / 4

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let foldCase = Flags(rawValue: 1)
        static let oneLine = Flags(rawValue: 2)
        static let dotNewline = Flags(rawValue: 4)
        static let nonGreedy = Flags(rawValue: 8)
    }

    /// An open group, or the whole pattern at the bottom.
    struct Group {
        /// The flags in force where it opened, restored at its `)`.
        var outerFlags: Flags
        var captures: Bool
        var branches = RegexAlternation()
        var pieces = RegexConcatenation()
        /// The latest piece: what a repetition operator applies to.
        var last: RegexFragment?
    }

    let scalars: [Unicode.Scalar]
    var position = 0
    var flags: Flags = [.oneLine]
    var groups: [Group]
    /// Where the previous token started, when it was a repetition operator (`a**` is refused).
    var lastRepetition: Int?
    /// Every literal character read, in order: the text of a pattern that is only text.
    var literals = String.UnicodeScalarView()
    /// The last search for a POSIX class's `:]`: where it started and where it found one.
    var lastColonBracket: (from: Int, at: Int?)?
    /// Go's count of the characters of every literal and class node pushed (a node pushed again,
    /// as a group's content is at its `)`, counts again), bounded by `maxRunes`.
    var runes = 0

    /// The pattern's fragment, and its text when it is nothing but text.
    static func parse(_ pattern: String) throws(RegexError) -> (fragment: RegexFragment, text: String?) {
        var parser = RegexParser(scalars: Array(pattern.unicodeScalars), groups: [Group(outerFlags: [.oneLine], captures: false)])
        let fragment = try parser.parse()
        return (fragment, fragment.isText ? String(parser.literals) : nil)
    }

    /// A literal character, as the fragment for it.
    mutating func literal(_ scalar: Unicode.Scalar) -> RegexFragment {
        let foldCase = flags.contains(.foldCase)
        if !foldCase { literals.append(scalar) }
        return .literal(foldCase: foldCase)
    }

    func text(_ start: Int, _ end: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<min(end, scalars.count)])
        return String(view)
    }

    var whole: String { text(0, scalars.count) }

    func scalar(at index: Int) -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func parse() throws(RegexError) -> RegexFragment {
        while position < scalars.count {
            var repetition: Int?
            let start = position
            switch scalars[position] {
            case "(":
                if scalar(at: position + 1) == "?" {
                    try parseFlagsOrGroup()
                } else {
                    open(captures: true)
                    position += 1
                }
            case "|":
                try endBranch()
                position += 1
            case ")":
                try close()
                position += 1
            case "^", "$":
                try push(.assertion(holdsInEmptyText: true))
                position += 1
            case ".":
                try push(.anyCharacter)
                position += 1
            case "[":
                try parseClass()
            case "*", "+", "?":
                let operation: RegexFragment.Repetition =
                    switch scalars[position] {
                    case "*": .star
                    case "+": .plus
                    default: .quest
                    }
                position += 1
                try repeatLast(operation, from: start)
                repetition = start
            case "{":
                if let (min, max, end) = repeatCount(at: position) {
                    if min > Self.maxRepeat || (max ?? 0) > Self.maxRepeat || max.map({ min > $0 }) == true {
                        throw RegexError(.invalidRepeatSize, text(start, end))
                    }
                    position = end
                    try repeatLast(.count(min: min, max: max), from: start)
                    repetition = start
                } else {
                    // Not a count: `{` is itself.
                    try push(literal("{"))
                    position += 1
                }
            case "\\":
                try parseBackslash()
            case let character:
                try push(literal(character))
                position += 1
            }
            lastRepetition = repetition
        }
        try endGroup()
        guard groups.count == 1, let root = groups.first else { throw RegexError(.missingParen, whole) }
        return root.branches.fragment
    }

    /// Go's size and height limits, checked on every node as Go checks them.
    func check(_ fragment: RegexFragment) throws(RegexError) {
        if fragment.size > Self.maxSize { throw RegexError(.tooLarge, whole) }
        if fragment.height > Self.maxHeight { throw RegexError(.nestingDepth, whole) }
    }

    /// A node Go pushes on its stack (a piece, a branch, a group's alternation, a group): its
    /// characters count toward `maxRunes`, then its size and height are checked.
    mutating func pushed(_ fragment: RegexFragment) throws(RegexError) {
        runes += fragment.runes
        if runes > Self.maxRunes { throw RegexError(.tooLarge, whole) }
        try check(fragment)
    }

    mutating func push(_ fragment: RegexFragment) throws(RegexError) {
        try pushed(fragment)
        if let last = groups[groups.count - 1].last { groups[groups.count - 1].pieces.append(last) }
        groups[groups.count - 1].last = fragment
    }

    mutating func open(captures: Bool) {
        groups.append(Group(outerFlags: flags, captures: captures))
    }

    /// `|`: the branch so far joins the group's alternatives.
    private mutating func endBranch() throws(RegexError) {
        var group = groups[groups.count - 1]
        if let last = group.last { group.pieces.append(last) }
        let branch = group.pieces.fragment
        try pushed(branch)
        group.branches.append(branch)
        group.pieces = RegexConcatenation()
        group.last = nil
        groups[groups.count - 1] = group
    }

    /// The innermost group's last branch and its alternation, as at `)` or the end.
    private mutating func endGroup() throws(RegexError) {
        try endBranch()
        try pushed(groups[groups.count - 1].branches.fragment)
    }

    private mutating func close() throws(RegexError) {
        try endGroup()
        guard groups.count > 1 else { throw RegexError(.unexpectedParen, whole) }
        let group = groups.removeLast()
        flags = group.outerFlags
        let inner = group.branches.fragment
        try push(group.captures ? inner.capture() : inner)
    }

    /// `*`, `+`, `?` or `{…}` (already read, from `start`) on the latest piece; a `?` after it
    /// makes it non-greedy.
    private mutating func repeatLast(_ operation: RegexFragment.Repetition, from start: Int) throws(RegexError) {
        if scalar(at: position) == "?" { position += 1 }
        if let lastRepetition { throw RegexError(.invalidRepeatOp, text(lastRepetition, position)) }
        guard let last = groups[groups.count - 1].last else { throw RegexError(.missingRepeatArgument, text(start, position)) }
        let repeated = last.repeated(operation)
        try check(repeated)
        if case .count(let min, let max) = operation, min >= 2 || (max ?? 0) >= 2, repeated.repeatProduct > Self.maxRepeat {
            throw RegexError(.invalidRepeatSize, text(start, position))
        }
        groups[groups.count - 1].last = repeated
    }

    /// `{n}`, `{n,}` or `{n,m}` at `index`: the counts (max nil for `{n,}`) and where it ends; nil
    /// when it is not one (then `{` is a literal). Numbers past 10⁸ read as larger than any bound.
    func repeatCount(at index: Int) -> (min: Int, max: Int?, end: Int)? {
        var index = index + 1
        func number() -> Int? {
            guard let first = scalar(at: index), ("0"..."9").contains(first) else { return nil }
            // No leading zeros.
            if first == "0", let second = scalar(at: index + 1), ("0"..."9").contains(second) { return nil }
            var value = 0
            while let digit = scalar(at: index), ("0"..."9").contains(digit) {
                value = min(value * 10 + Int(digit.value - 48), 100_000_000)
                index += 1
            }
            return value
        }
        guard let min = number() else { return nil }
        var max: Int? = min
        if scalar(at: index) == "," {
            index += 1
            if scalar(at: index) == "}" {
                max = nil
            } else {
                guard let upper = number() else { return nil }
                max = upper
            }
        }
        guard scalar(at: index) == "}" else { return nil }
        return (min, max, index + 1)
    }

    /// `(?…`: flags `(?i)`, a group with flags `(?i:…)` or without `(?:…)`, or a named capture
    /// `(?P<name>…)`. Anything else (lookarounds, atomic groups, `(?<name>`, new in Go 1.22) is
    /// refused with what was read of it.
    private mutating func parseFlagsOrGroup() throws(RegexError) {
        let start = position
        if scalars.count - start > 4, scalars[start + 2] == "P", scalars[start + 3] == "<" {
            guard let end = scalars[start...].firstIndex(of: ">") else { throw RegexError(.invalidNamedCapture, text(start, scalars.count)) }
            let name = scalars[(start + 4)..<end]
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isASCIIAlphanumeric }) else {
                throw RegexError(.invalidNamedCapture, text(start, end + 1))
            }
            open(captures: true)
            position = end + 1
            return
        }
        var index = start + 2
        var newFlags = flags
        var negated = false
        var sawFlag = false
        reading: while index < scalars.count {
            let character = scalars[index]
            index += 1
            let flag: Flags
            switch character {
            case "i": flag = .foldCase
            case "m": flag = .oneLine
            case "s": flag = .dotNewline
            case "U": flag = .nonGreedy
            case "-":
                if negated { break reading }
                negated = true
                sawFlag = false
                continue
            case ":", ")":
                if negated, !sawFlag { break reading }
                if character == ":" { open(captures: false) }
                flags = newFlags
                position = index
                return
            default:
                break reading
            }
            // `m` turns multi-line mode on, which is one-line mode off.
            if negated == (flag == .oneLine) { newFlags.insert(flag) } else { newFlags.remove(flag) }
            sawFlag = true
        }
        throw RegexError(.invalidPerlOp, text(start, index))
    }
}

extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool { ("0"..."9").contains(self) || ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
