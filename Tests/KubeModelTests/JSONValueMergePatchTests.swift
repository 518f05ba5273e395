import KubeModel
import Testing

@Suite("JSON merge patch")
struct JSONValueMergePatchTests {
    static let old: JSONValue = .object([
        "a": .integer(1), "gone": .string("x"),
        "nested": .object(["keep": .bool(true), "change": .integer(2), "drop": .integer(3)]),
        "list": .array([.integer(1), .integer(2)]),
    ])
    static let new: JSONValue = .object([
        "a": .integer(1), "added": .string("y"),
        "nested": .object(["keep": .bool(true), "change": .integer(5)]),
        "list": .array([.integer(2)]),
    ])

    @Test func aPatchFromOldToNewHoldsOnlyTheChangesAndTurnsOldIntoNew() {
        let patch = JSONValue.mergePatch(from: Self.old, to: Self.new)
        #expect(
            patch
                == .object([
                    "gone": .null, "added": .string("y"),
                    "nested": .object(["change": .integer(5), "drop": .null]),
                    "list": .array([.integer(2)]),
                ]))
        #expect(Self.old.mergePatched(with: patch) == Self.new)
        #expect(JSONValue.mergePatch(from: Self.new, to: Self.new) == .object([:]))
    }

    @Test func aNonObjectReplacesAndNullRemovesTheWhole() {
        #expect(JSONValue.mergePatch(from: Self.old, to: .null) == .null)
        #expect(Self.old.mergePatched(with: .object(["nested": .null]))["nested"] == nil)
        #expect(JSONValue.string("a").mergePatched(with: .object(["b": .integer(1)])) == .object(["b": .integer(1)]))
    }
}
