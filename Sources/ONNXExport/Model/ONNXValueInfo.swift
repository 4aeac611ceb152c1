/// A graph input or output (ONNX's `ValueInfoProto` of a tensor type): its name, element
/// type and dimensions, each a size or a symbol (`T`, `B`: any size, the same wherever
/// the symbol recurs).
public struct ONNXValueInfo: Equatable, Sendable {
    public enum Dimension: Equatable, Sendable, CustomStringConvertible {
        case size(Int)
        case symbol(String)

        public var description: String {
            switch self {
            case .size(let n): return "\(n)"
            case .symbol(let s): return s
            }
        }
    }

    public var name: String
    public var elementType: ONNXTensor.ElementType
    public var dimensions: [Dimension]

    public init(name: String, elementType: ONNXTensor.ElementType, dimensions: [Dimension]) {
        self.name = name
        self.elementType = elementType
        self.dimensions = dimensions
    }

    /// `name: float[T, B, 65]`.
    public var summary: String { "\(name): \(elementType)[\(dimensions.map(\.description).joined(separator: ", "))]" }

    /// `ValueInfoProto`: name 1, type 2 (`TypeProto.tensor_type` 1: elem_type 1, shape 2 of
    /// `Dimension`s 1: dim_value 1 or dim_param 2).
    func encode(into out: inout ProtobufWriter) {
        out.string(1, name)
        out.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, elementType.rawValue)
                tensor.message(2) { shape in
                    for dimension in dimensions {
                        shape.message(1) { d in
                            switch dimension {
                            case .size(let n): d.int(1, n)
                            case .symbol(let s): d.string(2, s)
                            }
                        }
                    }
                }
            }
        }
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) {
        var name = "", type = 0, dimensions: [Dimension] = []
        for field in try ProtobufReader(bytes).fields() {
            switch field.number {
            case 1: name = try field.value.string(1)
            case 2:
                for typeField in try ProtobufReader(try field.value.slice(2)).fields() where typeField.number == 1 {
                    for tensorField in try ProtobufReader(try typeField.value.slice(1)).fields() {
                        if tensorField.number == 1 { type = try tensorField.value.int(1) }
                        guard tensorField.number == 2 else { continue }
                        for dim in try ProtobufReader(try tensorField.value.slice(2)).fields() where dim.number == 1 {
                            for part in try ProtobufReader(try dim.value.slice(1)).fields() {
                                if part.number == 1 { dimensions.append(.size(try part.value.int(1))) }
                                if part.number == 2 { dimensions.append(.symbol(try part.value.string(2))) }
                            }
                        }
                    }
                }
            default: continue
            }
        }
        guard let elementType = ONNXTensor.ElementType(rawValue: type) else {
            throw .init(description: "value '\(name)' has element type \(type), not float, int32 or int64")
        }
        self.init(name: name, elementType: elementType, dimensions: dimensions)
    }
}
