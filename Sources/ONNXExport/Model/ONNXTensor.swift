/// A constant tensor of a graph (ONNX's `TensorProto`): a name, an element type, the
/// dimensions and the values as little-endian bytes (`raw_data`), row-major.
public struct ONNXTensor: Equatable, Sendable {
    /// ONNX's `TensorProto.DataType` values this module writes.
    public enum ElementType: Int, Sendable {
        case float = 1
        case int32 = 6
        case int64 = 7

        /// Bytes per element.
        public var size: Int { self == .int64 ? 8 : 4 }
    }

    public var name: String
    public var elementType: ElementType
    public var dimensions: [Int]
    /// `dimensions.reduce(1, *) · elementType.size` bytes.
    public var rawData: [UInt8]

    /// A float tensor of `dimensions` holding `values` (row-major).
    /// - Precondition: `values.count` is the product of `dimensions`.
    public init(name: String, dimensions: [Int], floats values: [Float]) {
        self.init(name: name, dimensions: dimensions, floatsFrom: { $0.append(contentsOf: values) })
    }

    /// A float tensor whose values `fill` appends (row-major), without an intermediate array.
    init(name: String, dimensions: [Int], floatsFrom fill: (inout [Float]) -> Void) {
        var values: [Float] = []
        values.reserveCapacity(dimensions.reduce(1, *))
        fill(&values)
        precondition(values.count == dimensions.reduce(1, *), "\(values.count) values for a tensor of \(dimensions)")
        self.name = name
        elementType = .float
        self.dimensions = dimensions
        rawData = values.withUnsafeBytes { Array($0) }
        #if !_endian(little)
            rawData = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        #endif
    }

    /// An int64 tensor of `dimensions` holding `values`.
    public init(name: String, dimensions: [Int], int64 values: [Int]) {
        precondition(values.count == dimensions.reduce(1, *), "\(values.count) values for a tensor of \(dimensions)")
        self.name = name
        elementType = .int64
        self.dimensions = dimensions
        rawData = values.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }
    }

    /// An int32 tensor of `dimensions` holding `values`.
    public init(name: String, dimensions: [Int], int32 values: [Int32]) {
        precondition(values.count == dimensions.reduce(1, *), "\(values.count) values for a tensor of \(dimensions)")
        self.name = name
        elementType = .int32
        self.dimensions = dimensions
        rawData = values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }

    /// The values of a float tensor.
    /// - Precondition: `elementType == .float`.
    public var floats: [Float] {
        precondition(elementType == .float, "\(name) holds \(elementType), not floats")
        return stride(from: 0, to: rawData.count, by: 4).map { i in
            Float(bitPattern: rawData[i..<i + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
    }

    /// The values of an integer tensor (int32 or int64).
    /// - Precondition: `elementType != .float`.
    public var integers: [Int] {
        precondition(elementType != .float, "\(name) holds floats, not integers")
        let size = elementType.size
        return stride(from: 0, to: rawData.count, by: size).map { i in
            let bits = rawData[i..<i + size].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return size == 8 ? Int(Int64(bitPattern: bits)) : Int(Int32(truncatingIfNeeded: bits))
        }
    }

    /// `TensorProto`: dims 1, data_type 2, name 8, raw_data 9.
    func encode(into out: inout ProtobufWriter) {
        out.reserve(rawData.count + name.utf8.count + 16 + 10 * dimensions.count)
        out.packedInts(1, dimensions)
        out.int(2, elementType.rawValue)
        out.string(8, name)
        out.data(9, rawData)
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) {
        var name = "", type = 0, dimensions: [Int] = [], raw: [UInt8]? = nil
        var floatData: [Float] = [], int64Data: [Int] = []
        for field in try ProtobufReader(bytes).fields() {
            switch field.number {
            case 1: dimensions += try field.value.ints(1)
            case 2: type = try field.value.int(2)
            case 4:
                if case .bytes(let run) = field.value {
                    floatData += stride(from: run.startIndex, to: run.endIndex - 3, by: 4).map { i in
                        Float(bitPattern: run[i..<i + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
                    }
                } else {
                    floatData.append(try field.value.float(4))
                }
            case 7: int64Data += try field.value.ints(7)
            case 8: name = try field.value.string(8)
            case 9: raw = Array(try field.value.slice(9))
            default: continue
            }
        }
        guard let elementType = ElementType(rawValue: type) else {
            throw .init(description: "tensor '\(name)' has data type \(type), not float, int32 or int64")
        }
        switch (raw, elementType) {
        case (let raw?, _): self.init(name: name, elementType: elementType, dimensions: dimensions, rawData: raw)
        case (nil, .float): self.init(name: name, dimensions: dimensions, floats: floatData)
        case (nil, .int64): self.init(name: name, dimensions: dimensions, int64: int64Data)
        case (nil, .int32): throw .init(description: "int32 tensor '\(name)' without raw_data")
        }
        guard rawData.count == dimensions.reduce(1, *) * elementType.size else {
            throw .init(description: "tensor '\(name)' of \(dimensions) holds \(rawData.count) bytes")
        }
    }

    private init(name: String, elementType: ElementType, dimensions: [Int], rawData: [UInt8]) {
        self.name = name
        self.elementType = elementType
        self.dimensions = dimensions
        self.rawData = rawData
    }
}
