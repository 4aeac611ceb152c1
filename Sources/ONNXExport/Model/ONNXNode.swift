/// One operator application of a graph (ONNX's `NodeProto`): the operator, the names of its
/// inputs (an empty name: an optional input left out) and outputs, and its attributes.
public struct ONNXNode: Equatable, Sendable {
    /// An attribute value (ONNX's `AttributeProto` of these types).
    public enum Attribute: Equatable, Sendable {
        case int(Int)
        case float(Float)
        case string(String)
        case ints([Int])
        case floats([Float])
        case strings([String])
        case tensor(ONNXTensor)
    }

    public var operation: String
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    /// In the order written (ONNX does not order attributes; this keeps files reproducible).
    public var attributes: [(name: String, value: Attribute)]

    public init(
        _ operation: String, name: String, inputs: [String], outputs: [String],
        attributes: [(name: String, value: Attribute)] = []
    ) {
        self.operation = operation
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// The attribute `name`, or nil.
    public func attribute(_ name: String) -> Attribute? { attributes.first { $0.name == name }?.value }

    public static func == (a: ONNXNode, b: ONNXNode) -> Bool {
        a.operation == b.operation && a.name == b.name && a.inputs == b.inputs && a.outputs == b.outputs
            && a.attributes.map(\.name) == b.attributes.map(\.name) && a.attributes.map(\.value) == b.attributes.map(\.value)
    }

    /// `NodeProto`: input 1, output 2, name 3, op_type 4, attribute 5 (`AttributeProto`:
    /// name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, strings 9, type 20).
    func encode(into out: inout ProtobufWriter) {
        for input in inputs { out.string(1, input) }
        for output in outputs { out.string(2, output) }
        out.string(3, name)
        out.string(4, operation)
        for (name, value) in attributes {
            out.message(5) { a in
                a.string(1, name)
                switch value {
                case .float(let f): a.float(2, f); a.int(20, 1)
                case .int(let i): a.int(3, i); a.int(20, 2)
                case .string(let s): a.string(4, s); a.int(20, 3)
                case .tensor(let t): a.message(5) { t.encode(into: &$0) }; a.int(20, 4)
                case .floats(let fs): for f in fs { a.float(7, f) }; a.int(20, 6)
                case .ints(let iss): a.packedInts(8, iss); a.int(20, 7)
                case .strings(let ss): for s in ss { a.string(9, s) }; a.int(20, 8)
                }
            }
        }
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) {
        self.init("", name: "", inputs: [], outputs: [])
        for field in try ProtobufReader(bytes).fields() {
            switch field.number {
            case 1: inputs.append(try field.value.string(1))
            case 2: outputs.append(try field.value.string(2))
            case 3: name = try field.value.string(3)
            case 4: operation = try field.value.string(4)
            case 5: attributes.append(try Self.decodeAttribute(try field.value.slice(5)))
            default: continue
            }
        }
    }

    private static func decodeAttribute(_ bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) -> (
        name: String, value: Attribute
    ) {
        var name = "", type = 0
        var f: Float = 0, i = 0, s = "", t: ONNXTensor?, floats: [Float] = [], ints: [Int] = [], strings: [String] = []
        for field in try ProtobufReader(bytes).fields() {
            switch field.number {
            case 1: name = try field.value.string(1)
            case 2: f = try field.value.float(2)
            case 3: i = try field.value.int(3)
            case 4: s = try field.value.string(4)
            case 5: t = try ONNXTensor(decoding: try field.value.slice(5))
            case 7: floats.append(try field.value.float(7))
            case 8: ints += try field.value.ints(8)
            case 9: strings.append(try field.value.string(9))
            case 20: type = try field.value.int(20)
            default: continue
            }
        }
        switch type {
        case 1: return (name, .float(f))
        case 2: return (name, .int(i))
        case 3: return (name, .string(s))
        case 4:
            guard let t else { throw .init(description: "tensor attribute '\(name)' without a tensor") }
            return (name, .tensor(t))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        default: throw .init(description: "attribute '\(name)' has type \(type), not one this module writes")
        }
    }
}
