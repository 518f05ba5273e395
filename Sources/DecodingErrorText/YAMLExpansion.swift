import Yams

/// YAML aliases (`*a`) stand for what their anchor (`&a`) holds, so a few hundred bytes of them
/// can stand for billions of nodes (ten levels of nine aliases each, 377 bytes: 3.5 billion). Every
/// YAML we read is walked with a budget before it is used: an expanded document larger than
/// `limit(forBytes:)` nodes is refused, in time and memory bounded by the budget.
public enum YAMLExpansion {
    /// A million nodes, and ten per byte of text: far past any real manifest or kubeconfig
    /// (plain YAML has fewer nodes than bytes), and walked in a fraction of a second.
    public static func limit(forBytes bytes: Int) -> Int { 1_000_000 + 10 * bytes }

    /// Why `node` may not be used: it expands past `limit` nodes; where the walk was then.
    public struct TooLarge: Error, Hashable, Sendable, CustomStringConvertible {
        public var limit: Int
        /// The line (from 1) where the document starts, when known.
        public var line: Int?

        public var description: String {
            "its YAML aliases expand it past \(limit) nodes (an alias bomb?); write the values out instead of repeating aliases"
        }
    }

    /// Walks `node` as its aliases expand it and stops at `limit` nodes.
    public static func check(_ node: Node, limit: Int) throws(TooLarge) {
        var pending = [node]
        var visited = 0
        while let next = pending.popLast() {
            visited += 1
            guard visited <= limit else { throw TooLarge(limit: limit, line: node.mark.map { $0.line }) }
            switch next {
            case .scalar, .alias: continue
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    pending.append(key)
                    pending.append(value)
                }
            }
        }
    }
}
