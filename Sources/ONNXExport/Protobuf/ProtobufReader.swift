/// Reads the fields of one protocol buffers message, in order: the reverse of
/// `ProtobufWriter`, for checking written files (`ONNXModel(decoding:)`). Unknown wire types
/// (groups) and truncated fields are errors, never traps.
///
/// - Complexity: O(bytes) per message; nested messages are slices of the parent's bytes.
struct ProtobufReader {
    /// One field: its number and its value.
    struct Field {
        let number: Int
        let value: Value
    }

    enum Value {
        case varint(UInt64)
        case fixed32(UInt32)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    /// Why a message could not be read.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private let bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// Every field of the message, in the order written.
    func fields() throws(Malformed) -> [Field] {
        var fields: [Field] = []
        var i = bytes.startIndex
        func varint() throws(Malformed) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.endIndex else { throw Malformed(description: "a varint runs past the end of the message") }
                guard shift < 64 else { throw Malformed(description: "a varint is longer than 10 bytes") }
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard count >= 0, bytes.endIndex - i >= count else {
                throw Malformed(description: "a field of \(count) bytes runs past the end of the message")
            }
            defer { i += count }
            return bytes[i..<i + count]
        }
        func little(_ slice: ArraySlice<UInt8>) -> UInt64 {
            slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        while i < bytes.endIndex {
            let key = try varint()
            let number = Int(key >> 3)
            guard number > 0 else { throw Malformed(description: "field number 0") }
            switch key & 7 {
            case 0: fields.append(Field(number: number, value: .varint(try varint())))
            case 1: fields.append(Field(number: number, value: .fixed64(little(try take(8)))))
            case 2:
                let length = try varint()
                guard length <= UInt64(Int.max) else { throw Malformed(description: "a length of \(length) bytes") }
                fields.append(Field(number: number, value: .bytes(try take(Int(length)))))
            case 5: fields.append(Field(number: number, value: .fixed32(UInt32(little(try take(4))))))
            default: throw Malformed(description: "wire type \(key & 7) of field \(number) is not one ONNX uses")
            }
        }
        return fields
    }
}

extension ProtobufReader.Value {
    func int(_ field: Int) throws(ProtobufReader.Malformed) -> Int {
        guard case .varint(let v) = self else { throw .init(description: "field \(field) is not a varint") }
        return Int(Int64(bitPattern: v))
    }

    func slice(_ field: Int) throws(ProtobufReader.Malformed) -> ArraySlice<UInt8> {
        guard case .bytes(let b) = self else { throw .init(description: "field \(field) is not length-delimited") }
        return b
    }

    func string(_ field: Int) throws(ProtobufReader.Malformed) -> String {
        String(decoding: try slice(field), as: UTF8.self)
    }

    func float(_ field: Int) throws(ProtobufReader.Malformed) -> Float {
        guard case .fixed32(let bits) = self else { throw .init(description: "field \(field) is not a 32-bit value") }
        return Float(bitPattern: bits)
    }

    /// A repeated int64 field's values: packed (one run) or one varint.
    func ints(_ field: Int) throws(ProtobufReader.Malformed) -> [Int] {
        switch self {
        case .varint(let v): return [Int(Int64(bitPattern: v))]
        case .bytes(let run):
            return try ProtobufReader.packedVarints(run)
        default: throw .init(description: "field \(field) is not a repeated integer")
        }
    }
}

extension ProtobufReader {
    static func packedVarints(_ run: ArraySlice<UInt8>) throws(Malformed) -> [Int] {
        var values: [Int] = []
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in run {
            guard shift < 64 else { throw Malformed(description: "a packed varint is longer than 10 bytes") }
            value |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 {
                values.append(Int(Int64(bitPattern: value)))
                (value, shift) = (0, 0)
            } else {
                shift += 7
            }
        }
        guard shift == 0 else { throw Malformed(description: "a packed run ends inside a varint") }
        return values
    }
}
