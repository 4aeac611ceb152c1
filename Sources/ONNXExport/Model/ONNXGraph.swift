/// A computation graph (ONNX's `GraphProto`): nodes in topological order, the constant
/// tensors (weights; an initializer that shares an input's name is that input's default,
/// so a runtime may leave the input out), the inputs and the outputs.
public struct ONNXGraph: Equatable, Sendable {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]

    public init(
        name: String, nodes: [ONNXNode] = [], initializers: [ONNXTensor] = [], inputs: [ONNXValueInfo] = [],
        outputs: [ONNXValueInfo] = []
    ) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The initializer `name`, or nil.
    public func initializer(_ name: String) -> ONNXTensor? { initializers.first { $0.name == name } }

    /// `tokens: int64[T, B], h0: float[1, B, 12] (optional)`: the inputs, an input with a
    /// default marked optional.
    public var inputSummary: String {
        let defaults = Set(initializers.map(\.name))
        return inputs.map { $0.summary + (defaults.contains($0.name) ? " (optional)" : "") }.joined(separator: ", ")
    }

    /// `logits: float[T, B, 65], hn: float[1, B, 12]`.
    public var outputSummary: String { outputs.map(\.summary).joined(separator: ", ") }

    /// `GraphProto`: node 1, name 2, initializer 5, input 11, output 12.
    func encode(into out: inout ProtobufWriter) {
        out.reserve(initializers.reduce(4096) { $0 + $1.rawData.count + 64 })
        for node in nodes { out.message(1) { node.encode(into: &$0) } }
        out.string(2, name)
        for tensor in initializers { out.message(5) { tensor.encode(into: &$0) } }
        for input in inputs { out.message(11) { input.encode(into: &$0) } }
        for output in outputs { out.message(12) { output.encode(into: &$0) } }
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufReader.Malformed) {
        self.init(name: "")
        for field in try ProtobufReader(bytes).fields() {
            switch field.number {
            case 1: nodes.append(try ONNXNode(decoding: try field.value.slice(1)))
            case 2: name = try field.value.string(2)
            case 5: initializers.append(try ONNXTensor(decoding: try field.value.slice(5)))
            case 11: inputs.append(try ONNXValueInfo(decoding: try field.value.slice(11)))
            case 12: outputs.append(try ONNXValueInfo(decoding: try field.value.slice(12)))
            default: continue
            }
        }
    }
}
