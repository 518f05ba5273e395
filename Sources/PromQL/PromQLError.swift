/// Why a query does not parse or cannot be enforced, with where: `unexpected ")" at column 23,
/// expected an expression`. Lines and columns count characters from 1.
public struct PromQLError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    /// What would have been accepted there, when the parser knows.
    public var expected: String?
    /// How to fix it, when the parser can tell.
    public var hint: String?
    /// Whether the query has more than one line (then the line is named too).
    var multiline: Bool

    public var description: String {
        let place = multiline ? "line \(line), column \(column)" : "column \(column)"
        return "\(message) at \(place)" + (expected.map { ", expected \($0)" } ?? "") + (hint.map { ": \($0)" } ?? "")
    }

    /// An error at a UTF-8 offset of `source`.
    init(_ message: String, at offset: Int, in source: [UInt8], expected: String? = nil, hint: String? = nil) {
        let before = source[..<min(offset, source.count)]
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        self.message = message
        self.line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        self.column = String(decoding: source[lineStart..<before.endIndex], as: UTF8.self).count + 1
        self.expected = expected
        self.hint = hint
        self.multiline = source.contains(UInt8(ascii: "\n"))
    }
}
