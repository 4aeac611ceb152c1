/// Finds a key that appears twice in one object of a JSON text. `JSONSerialization`
/// keeps one of them silently; a safetensors header with two entries for one tensor (or
/// two values for one metadata key) is ambiguous, so `SafeTensors` refuses it.
///
/// The text must already be valid JSON (this only tracks strings, objects and arrays);
/// keys are compared after decoding their escapes, so `"a"` and `"\u0061"` are the same.
enum JSONKeys {
    /// The first key (decoded) found twice in the same object, or nil.
    /// - Complexity: O(n) for n bytes, plus hashing the keys.
    static func firstDuplicate(in bytes: [UInt8]) -> String? {
        // Per open container: the keys seen so far (nil for an array).
        var stack: [Set<String>?] = []
        var i = 0
        // True when the next string in the innermost object is a key.
        var expectingKey = false
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                stack.append([])
                expectingKey = true
                i += 1
            case UInt8(ascii: "["):
                stack.append(nil)
                expectingKey = false
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
                expectingKey = false
                i += 1
            case UInt8(ascii: ","):
                expectingKey = stack.last.map { $0 != nil } ?? false
                i += 1
            case UInt8(ascii: "\""):
                let (text, next) = decodeString(bytes, from: i + 1)
                if expectingKey, case .some(.some(var keys)) = stack.last {
                    if !keys.insert(text).inserted { return text }
                    stack[stack.count - 1] = keys
                    expectingKey = false
                }
                i = next
            default:
                i += 1
            }
        }
        return nil
    }

    /// The string starting after its opening quote at `start`, decoded, and the index
    /// just past its closing quote.
    private static func decodeString(_ bytes: [UInt8], from start: Int) -> (String, Int) {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var i = start
        func flush() {
            if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw = [] }
        }
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16)
            else { return nil }
            return v
        }
        while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else { raw.append(bytes[i]); i += 1; continue }
            flush()
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "u"):
                guard var v = hex4(i) else { continue }
                i += 4
                // A surrogate pair: \uD83D\uDE00.
                if (0xD800..<0xDC00).contains(v), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
                    bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low)
                {
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(e))  // \" \\ \/
            }
        }
        flush()
        return (String(scalars), i + 1)
    }
}
