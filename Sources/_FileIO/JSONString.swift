/// Writing JSON text without `JSONSerialization`, whose output order and escaping
/// vary between platforms.
package enum JSONString {
    /// `s` as a JSON string literal (UTF-8 kept as is; quotes, backslashes and control
    /// characters escaped): a safetensors header's metadata and the tools' JSON output.
    /// - Complexity: O(n) for n scalars.
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
