/// What the reader keeps of a parsed piece of a regular expression: not the tree, only what
/// decides the answers and Go's limits, computed bottom-up as pieces are combined, so nothing
/// recurses and memory stays with the nesting depth.
///
/// The shape follows the tree Go's parser builds: adjacent literals merge, a group without a
/// capture leaves no node, a concatenation or alternation inside another of its kind is
/// hoisted into it, and adjacent single-character branches merge into one class. Go also
/// factors common prefixes out of alternations (`abc|abd` → `ab[cd]`, `.x|.y` → `.(?:x|y)`);
/// that is not followed. So at Go's limits, and only there, the two can differ: an alternation
/// of many branches with a common prefix under a large count (`(?:ab|ab|…){1000}`) is larger
/// here than in Go, and factoring can make Go's tree deeper (a thousand shared leading `.`) or
/// shallower than ours. Every such pattern found takes thousands of bytes written for the purpose;
/// the agreement tests hold the cases that matter.
struct RegexFragment {
    enum Shape: Equatable {
        case literal(foldCase: Bool)
        /// A class, `.`, or a merged alternation of single characters.
        case characterClass
        case emptyMatch
        case concatenation
        case alternation
        /// Assertions, captures and repetitions.
        case other
    }

    var shape: Shape
    /// Whether it can match the empty text (where `^`, `$`, `\A`, `\z` and `\B` hold, `\b` not).
    var matchesEmpty: Bool
    /// Go's estimate of its compiled size in instructions (`calcSize`).
    var size: Int
    /// The height of Go's tree for it.
    var height: Int
    /// The largest product of counted repetitions nested along one path (what Go's
    /// `repeatIsValid` bounds by 1000), capped just past the bound.
    var repeatProduct = 1
    /// Literal runes merged into this node, or for a concatenation or alternation its children.
    var count = 1
    /// Whether it is nothing but literal text matched case-sensitively (then it matches the
    /// literals read for it, in order, and nothing else).
    var isText = false

    /// The characters Go's node for it holds (`len(re.Rune)`): a literal's runes; a class's range
    /// ends, counted as one range (the classes are not built: `\pL` holds 1,292, so a pattern
    /// nesting many classes deep can pass Go's bound unseen here); none for `.` and other nodes.
    var runes = 0

    static func literal(foldCase: Bool) -> RegexFragment {
        RegexFragment(shape: .literal(foldCase: foldCase), matchesEmpty: false, size: 1, height: 1, isText: !foldCase, runes: 1)
    }

    static let characterClass = RegexFragment(shape: .characterClass, matchesEmpty: false, size: 1, height: 1, runes: 2)
    /// `.`: a class to Go's alternation rules, with no characters of its own.
    static let anyCharacter = RegexFragment(shape: .characterClass, matchesEmpty: false, size: 1, height: 1)
    static let emptyMatch = RegexFragment(shape: .emptyMatch, matchesEmpty: true, size: 1, height: 1, isText: true)

    /// `^`, `$`, `\A`, `\z`, `\b`, `\B`: whether it holds in the empty text.
    static func assertion(holdsInEmptyText: Bool) -> RegexFragment {
        RegexFragment(shape: .other, matchesEmpty: holdsInEmptyText, size: 1, height: 1)
    }

    /// Go's `isCharClass`: one rune, a class or `.`; such branches of an alternation merge.
    var isSingleCharacter: Bool {
        shape == .characterClass || (shape == .literal(foldCase: false) || shape == .literal(foldCase: true)) && count == 1
    }

    func capture() -> RegexFragment {
        RegexFragment(shape: .other, matchesEmpty: matchesEmpty, size: 2 + size, height: height + 1, repeatProduct: repeatProduct)
    }

    enum Repetition {
        case star, plus, quest
        case count(min: Int, max: Int?)
    }

    /// This fragment repeated; `count(min:max:)` has `max` nil for `{n,}`.
    func repeated(_ repetition: Repetition) -> RegexFragment {
        var repeated = RegexFragment(shape: .other, matchesEmpty: true, size: 0, height: height + 1, repeatProduct: repeatProduct)
        switch repetition {
        case .star:
            repeated.size = 2 + size
        case .quest:
            repeated.size = 1 + size
        case .plus:
            repeated.size = 1 + size
            repeated.matchesEmpty = matchesEmpty
        case .count(let min, let max):
            repeated.matchesEmpty = min == 0 || matchesEmpty
            if let max {
                repeated.size = max * size + (max - min)
                // Go looks no further below a repetition of at most zero.
                repeated.repeatProduct = max == 0 ? 1 : Swift.min(max * repeatProduct, RegexParser.maxRepeat + 1)
            } else {
                repeated.size = min == 0 ? 2 + size : 1 + min * size
                repeated.repeatProduct = Swift.min(Swift.max(min, 1) * repeatProduct, RegexParser.maxRepeat + 1)
            }
        }
        repeated.size = Swift.max(repeated.size, 1)
        return repeated
    }
}

/// One branch being read: its pieces in order, folded as they come.
struct RegexConcatenation {
    private var nodes = 0
    private var size = 0
    private var childHeight = 0
    private var matchesEmpty = true
    private var repeatProduct = 1
    private var isText = true
    /// The one node, while there is one.
    private var only: RegexFragment?
    /// Whether the last node is a literal, and matched case-insensitively: the next literal of
    /// the same kind merges into it.
    private var lastLiteralFoldsCase: Bool?

    mutating func append(_ piece: RegexFragment) {
        size += piece.size
        matchesEmpty = matchesEmpty && piece.matchesEmpty
        repeatProduct = max(repeatProduct, piece.repeatProduct)
        isText = isText && piece.isText
        switch piece.shape {
        case .literal(let foldCase) where lastLiteralFoldsCase == foldCase:
            if nodes == 1, var merged = only {
                merged.count += piece.count
                merged.runes += piece.runes
                merged.size += piece.size
                merged.isText = merged.isText && piece.isText
                only = merged
            }
        case .literal(let foldCase):
            nodes += 1
            childHeight = max(childHeight, 1)
            lastLiteralFoldsCase = foldCase
            only = nodes == 1 ? piece : nil
        case .concatenation:
            nodes += piece.count
            childHeight = max(childHeight, piece.height - 1)
            lastLiteralFoldsCase = nil
            only = nil
        default:
            nodes += 1
            childHeight = max(childHeight, piece.height)
            lastLiteralFoldsCase = nil
            only = nodes == 1 ? piece : nil
        }
    }

    var fragment: RegexFragment {
        if nodes == 0 { return .emptyMatch }
        if nodes == 1, let only { return only }
        return RegexFragment(
            shape: .concatenation, matchesEmpty: matchesEmpty, size: max(size, 1), height: childHeight + 1,
            repeatProduct: repeatProduct, count: nodes, isText: isText)
    }
}

/// The branches of a group read so far.
struct RegexAlternation {
    private var branches = 0
    private var size = 0
    private var childHeight = 0
    private var matchesEmpty = false
    private var repeatProduct = 1
    private var only: RegexFragment?
    private var lastWasSingleCharacter = false
    private var lastWasEmpty = false

    mutating func append(_ branch: RegexFragment) {
        matchesEmpty = matchesEmpty || branch.matchesEmpty
        repeatProduct = max(repeatProduct, branch.repeatProduct)
        if branch.isSingleCharacter, lastWasSingleCharacter {
            // Merged into the class before it (Go's swapVerticalBar and factor, round 3).
            if branches == 1 { only = .characterClass }
            return
        }
        // Runs of empty branches are one (factor, round 4).
        if branch.shape == .emptyMatch, lastWasEmpty { return }
        lastWasSingleCharacter = branch.isSingleCharacter
        lastWasEmpty = branch.shape == .emptyMatch
        if branch.shape == .alternation {
            branches += branch.count
            size += branch.size - (branch.count - 1)
            childHeight = max(childHeight, branch.height - 1)
            only = nil
        } else {
            branches += 1
            size += branch.isSingleCharacter ? 1 : branch.size
            childHeight = max(childHeight, branch.height)
            only = branches == 1 ? branch : nil
        }
    }

    var fragment: RegexFragment {
        if branches == 1, let only { return only }
        return RegexFragment(
            shape: .alternation, matchesEmpty: matchesEmpty, size: size + max(branches - 1, 0), height: childHeight + 1,
            repeatProduct: repeatProduct, count: branches)
    }
}
