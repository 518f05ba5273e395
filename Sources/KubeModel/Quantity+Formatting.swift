extension Quantity: CustomStringConvertible {
    /// The canonical text Kubernetes prints: an integer mantissa and a suffix whose exponent is a
    /// multiple of three (`1500m`, `10k`, `2500k`, `2e3`), or a binary suffix for whole binary
    /// quantities of at least 1024 (`1Gi`, `1536Mi`).
    public var description: String {
        if nanos == 0 { return "0" }
        if format == .binarySI, nanos.magnitude >= 1024 * UInt128(Self.nanosPerUnit), nanos % Self.nanosPerUnit == 0 {
            return binaryText
        }
        return decimalText(format: format == .binarySI ? .decimalSI : format)
    }

    private var binaryText: String {
        var units = nanos / Self.nanosPerUnit
        var power = 0
        while power < 6, units % 1024 == 0 {
            units /= 1024
            power += 1
        }
        return "\(units)" + ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power]
    }

    private func decimalText(format: Format) -> String {
        var mantissa = nanos
        var exponent = -9
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        // Bring the exponent down to a multiple of three (values are bounded, so no overflow).
        let excess = ((exponent % 3) + 3) % 3
        mantissa *= Self.power10(excess)
        exponent -= excess
        return "\(mantissa)" + Self.suffix(exponent: exponent, format: format)
    }

    private static func suffix(exponent: Int, format: Format) -> String {
        if exponent == 0 { return "" }
        if format == .decimalSI {
            let names = [-9: "n", -6: "u", -3: "m", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"]
            if let name = names[exponent] { return name }
        }
        return "e\(exponent)"
    }
}
