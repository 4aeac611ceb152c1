#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a CSV cell holds when read as a number.
public enum CSVNumber: Equatable {
    case value(Double)
    /// An empty cell, `NA`, `N/A`, `NaN`, `nan`, `null`, `NULL` or `None`: a missing value
    /// (`MissingValues` says what becomes of it).
    case missing
    /// `inf`, `-inf`, `Infinity`...: not a usable measurement.
    case infinite
    /// Anything else: not a number.
    case text

    static let missingSpellings: Set<String> = ["", "na", "n/a", "nan", "null", "none", "-nan"]

    /// Parses `bytes` (surrounding spaces ignored): a decimal or exponent number as C's
    /// `strtod` reads it, the whole cell consumed.
    /// - Complexity: O(bytes).
    public static func parse(_ bytes: ArraySlice<UInt8>) -> CSVNumber {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        let count = end - start
        if count == 0 { return .missing }
        guard count < 64 else { return .text }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer -> CSVNumber in
            for i in 0..<count { buffer[i] = CChar(bitPattern: bytes[start + i]) }
            buffer[count] = 0
            let first = bytes[start]
            // strtod also reads hexadecimal numbers and "nan"/"inf" words: decide on those here.
            let isDigitStart =
                (first >= 0x30 && first <= 0x39) || first == 0x2E || first == 0x2D || first == 0x2B
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &endPointer)
            let consumed = endPointer.map { $0 - buffer.baseAddress! } ?? 0
            let hexadecimal = bytes[start..<end].contains { $0 == 0x78 || $0 == 0x58 }  // x, X
            if consumed == count && isDigitStart && value.isFinite && !hexadecimal { return .value(value) }
            let text = String(decoding: bytes[start..<end], as: UTF8.self).lowercased()
            if missingSpellings.contains(text) { return .missing }
            if consumed == count && (value.isInfinite || text.contains("inf")) { return .infinite }
            return .text
        }
    }
}
