/// The protocol buffers wire format, as far as ONNX's messages need it: varints (field
/// types int32, int64, enum), length-delimited fields (strings, bytes, nested messages,
/// packed repeated varints) and 32-bit fields (float). Fields are written in the order of
/// the calls; a default value is written when asked (proto2's `optional` keeps it).
///
/// ```swift
/// var node = ProtobufWriter()
/// node.string(4, "LSTM")            // NodeProto.op_type
/// var model = ProtobufWriter()
/// model.message(7, node)             // nested: tag, length, bytes
/// ```
/// - Complexity: O(bytes written); nested messages are copied once into their parent.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// The wire types of the tags this writer emits.
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    init() {}

    mutating func reserve(_ count: Int) { bytes.reserveCapacity(count) }

    /// `value` as a base-128 varint (a negative value as its 10-byte two's complement).
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// An int32, int64 or enum field.
    mutating func int(_ field: Int, _ value: Int) {
        tag(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    /// A bytes field.
    mutating func data(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A packed repeated int64 field (one length-delimited run of varints).
    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var run = ProtobufWriter()
        for value in values { run.varint(UInt64(bitPattern: Int64(value))) }
        data(field, run.bytes)
    }

    /// A nested message.
    mutating func message(_ field: Int, _ message: ProtobufWriter) { data(field, message.bytes) }

    /// A nested message built by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        body(&nested)
        message(field, nested)
    }
}
