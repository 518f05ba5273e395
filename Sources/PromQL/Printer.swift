/// Prints an expression as PromQL that parses back to the same tree (Prometheus's spelling:
/// `sum by (job) (rate(x{a="b"}[5m]))`, durations in their largest units; matchers keep their order).
extension Expr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .number(let literal): return Self.format(literal.value)
        case .string(let value): return Self.quote(value)
        case .vector(let selector): return selector.description
        case .matrix(let matrix):
            var bare = matrix.selector
            bare.offset = nil
            bare.at = nil
            return "\(bare)[\(DurationText.format(matrix.range))]" + Self.modifiers(matrix.selector.offset, matrix.selector.at)
        case .subquery(let subquery):
            let inner = subquery.expression.isPrimary ? subquery.expression.description : "(\(subquery.expression))"
            let step = subquery.step.map(DurationText.format) ?? ""
            return "\(inner)[\(DurationText.format(subquery.range)):\(step)]" + Self.modifiers(subquery.offset, subquery.at)
        case .call(let call):
            return "\(call.function)(\(call.arguments.map(\.description).joined(separator: ", ")))"
        case .aggregation(let aggregation):
            var text = aggregation.op.rawValue
            switch aggregation.grouping {
            case .by(let labels): text += " by (\(labels.joined(separator: ", "))) "
            case .without(let labels): text += " without (\(labels.joined(separator: ", "))) "
            case nil: break
            }
            let arguments = (aggregation.parameter.map { [$0] } ?? []) + [aggregation.expression]
            return text + "(\(arguments.map(\.description).joined(separator: ", ")))"
        case .binary(let operation):
            let lhs = operation.lhs.needsParentheses(asOperandOf: operation.op, onTheLeft: true) ? "(\(operation.lhs))" : operation.lhs.description
            let rhs = operation.rhs.needsParentheses(asOperandOf: operation.op, onTheLeft: false) ? "(\(operation.rhs))" : operation.rhs.description
            var op = operation.op.rawValue
            if operation.returnsBool { op += " bool" }
            if let matching = operation.matching {
                let grouped = matching.cardinality == .manyToOne || matching.cardinality == .oneToMany
                if matching.on || !matching.labels.isEmpty || grouped {
                    op += " \(matching.on ? "on" : "ignoring") (\(matching.labels.joined(separator: ", ")))"
                }
                if grouped {
                    op += " \(matching.cardinality == .manyToOne ? "group_left" : "group_right") (\(matching.include.joined(separator: ", ")))"
                }
            }
            return "\(lhs) \(op) \(rhs)"
        case .unary(let op, let operand):
            let needs: Bool
            switch operand {
            case .binary(let inner): needs = inner.op != .power
            case .number(let literal): needs = literal.value.sign == .minus
            default: needs = false
            }
            return op.rawValue + (needs ? "(\(operand))" : operand.description)
        case .parenthesized(let inner): return "(\(inner))"
        }
    }

    /// Whether printing this as an operand needs parentheses to keep the tree (never true of a
    /// parsed tree, which keeps its parentheses; true of trees built by hand).
    func needsParentheses(asOperandOf op: BinaryOperator, onTheLeft: Bool) -> Bool {
        switch self {
        case .binary(let inner):
            if inner.op.precedence != op.precedence { return inner.op.precedence < op.precedence }
            return onTheLeft == (op == .power)
        case .unary: return op == .power && onTheLeft
        case .number(let literal): return op == .power && onTheLeft && literal.value.sign == .minus
        default: return false
        }
    }

    /// Selectors, calls and other expressions a range or subquery suffix applies to as written.
    var isPrimary: Bool {
        switch self {
        case .binary, .unary: false
        case .number(let literal): literal.value.sign != .minus
        default: true
        }
    }

    static func modifiers(_ offset: Int64?, _ at: AtModifier?) -> String {
        var text = ""
        switch at {
        case .time(let milliseconds):
            let sign = milliseconds < 0 ? "-" : ""
            let magnitude = milliseconds.magnitude
            text += " @ \(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - String(magnitude % 1000).count))\(magnitude % 1000)"
        case .start: text += " @ start()"
        case .end: text += " @ end()"
        case nil: break
        }
        if let offset { text += offset < 0 ? " offset -\(DurationText.format(-offset))" : " offset \(DurationText.format(offset))" }
        return text
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "Inf" }
        if value == value.rounded(), abs(value) < 1e15, !(value == 0 && value.sign == .minus) { return String(Int64(value)) }
        return "\(value)"
    }

    /// A double-quoted string with Go's escapes.
    static func quote(_ value: String) -> String {
        var text = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16)
                text += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        let labels = matchers.map(\.description)
        let braces = labels.isEmpty ? (name == nil ? "{}" : "") : "{\(labels.joined(separator: ", "))}"
        return (name ?? "") + braces + Expr.modifiers(offset, at)
    }
}

extension LabelMatcher: CustomStringConvertible {
    public var description: String { "\(name)\(op.rawValue)\(Expr.quote(value))" }
}
