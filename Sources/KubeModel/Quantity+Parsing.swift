extension Quantity {
    /// Reads every notation Kubernetes accepts: `100`, `+1.5`, `-40000m`, `10k`, `2.5M`, `1Gi`,
    /// `512Mi`, `2e3`, `1E-3`, `.5`.
    public init(parsing text: String) throws(QuantityError) {
        var rest = Substring(text)
        var negative = false
        if let first = rest.first, first == "+" || first == "-" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        let whole = rest.prefix(while: \.isASCIIDigit)
        rest = rest.dropFirst(whole.count)
        var fraction: Substring = ""
        if rest.first == "." {
            rest = rest.dropFirst()
            fraction = rest.prefix(while: \.isASCIIDigit)
            rest = rest.dropFirst(fraction.count)
        }
        guard !(whole.isEmpty && fraction.isEmpty), let suffix = Suffix(String(rest)) else {
            throw .invalid(text)
        }
        guard let magnitude = Self.nanoMagnitude(whole: whole, fraction: fraction, suffix: suffix) else {
            throw .outOfRange(text)
        }
        self.init(nanos: negative ? -magnitude : magnitude, format: suffix.format)
    }

    /// The unit multiplier a suffix stands for.
    struct Suffix {
        let format: Format
        /// Power of ten (decimal formats) or of two (binary).
        let exponent: Int

        init?(_ text: String) {
            let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
            let binary: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
            if let exponent = decimal[text] {
                self.format = .decimalSI
                self.exponent = exponent
            } else if let exponent = binary[text] {
                self.format = .binarySI
                self.exponent = exponent
            } else if let marker = text.first, marker == "e" || marker == "E", text.count > 1 {
                var digits = text.dropFirst()
                let negative = digits.first == "-"
                if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
                guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isASCIIDigit), let value = Int(digits) else {
                    return nil
                }
                self.format = .decimalExponent
                self.exponent = negative ? -value : value
            } else {
                return nil
            }
        }
    }

    /// |value| in nano-units, rounded up to the next nano as Kubernetes does; nil when too large.
    private static func nanoMagnitude(whole: Substring, fraction: Substring, suffix: Suffix) -> Int128? {
        // Significant digits, and the power of ten that scales them to nano-units.
        var digits = String(whole) + String(fraction)
        var decimalShift = 9 - fraction.count
        var binaryShift = 0
        if suffix.format == .binarySI { binaryShift = suffix.exponent } else { decimalShift += suffix.exponent }
        digits = String(digits.drop(while: { $0 == "0" }))
        if digits.isEmpty { return 0 }
        // Trailing zeros carry no information; dropping them keeps the numbers small.
        while digits.last == "0" {
            digits.removeLast()
            decimalShift += 1
        }
        var roundUp = false
        if decimalShift < 0 && binaryShift == 0 {
            // Digits finer than a nano: cut them off and round away from zero.
            let kept = max(digits.count + decimalShift, 0)
            roundUp = digits.dropFirst(kept).contains { $0 != "0" }
            digits = String(digits.prefix(kept))
            decimalShift = 0
        }
        guard digits.count + max(decimalShift, 0) <= 38 else { return nil }
        var value = Int128(digits) ?? 0
        if roundUp { value += 1 }
        if binaryShift > 0 {
            guard value.leadingZeroBitCount > binaryShift + 1 else { return nil }
            value <<= binaryShift
        }
        if decimalShift > 0 {
            let (product, overflow) = value.multipliedReportingOverflow(by: power10(decimalShift))
            guard !overflow else { return nil }
            value = product
        } else if decimalShift < 0 {
            // Binary suffixes on long fractions: divide, rounding up.
            let divisor = power10(-decimalShift)
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
            value = quotient + (remainder == 0 ? 0 : 1)
        }
        guard value <= maximumUnits * nanosPerUnit else { return nil }
        return value
    }

    static func power10(_ exponent: Int) -> Int128 {
        var result: Int128 = 1
        for _ in 0..<min(exponent, 38) { result *= 10 }
        return result
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
