/// An ONNX model file (`ModelProto`): the IR version, the operator set, who produced it,
/// one graph, and string metadata (`metadata_props`).
///
/// ```swift
/// let model = try ONNXModel(decoding: Array(FileManager.default.contents(atPath: "m.onnx")!))
/// model.graph.inputs.map(\.summary)     // ["tokens: int64[T, B]", "lengths: int32[B]", ...]
/// model.metadata["architecture"]        // "many_to_many"
/// ```
public struct ONNXModel: Equatable, Sendable {
    /// The IR version written: 5 (ONNX 1.5), the one of `opset`: an initializer may be the
    /// default of an input.
    public static let irVersion = 5
    /// The default-domain operator set every graph of this module uses: 10, the lowest with
    /// everything they need (`RNN`/`GRU`/`LSTM` with `sequence_lens` since 7, `Expand` 8,
    /// `OneHot` and `Where` 9, `Slice` with tensor inputs 10). ONNX Runtime reads it from 1.0 on.
    public static let opset = 10

    public var irVersion: Int
    public var opset: Int
    public var producerName: String
    public var producerVersion: String
    public var graph: ONNXGraph
    /// `metadata_props`, written in key order.
    public var metadata: [String: String]

    public init(graph: ONNXGraph, metadata: [String: String], producerVersion: String = ONNXModel.producerVersion) {
        irVersion = Self.irVersion
        opset = Self.opset
        producerName = "swift-rnn"
        self.producerVersion = producerVersion
        self.graph = graph
        self.metadata = metadata
    }

    /// The `producer_version` written.
    public static let producerVersion = "1"

    /// The file's bytes. `ModelProto`: ir_version 1, producer_name 2, producer_version 3,
    /// graph 7, opset_import 8 (`OperatorSetIdProto`: domain 1, version 2),
    /// metadata_props 14 (key 1, value 2).
    /// - Complexity: O(size of the weights); about three copies of them.
    public func serialized() -> [UInt8] {
        var out = ProtobufWriter()
        out.int(1, irVersion)
        out.string(2, producerName)
        out.string(3, producerVersion)
        var graphBytes = ProtobufWriter()
        graph.encode(into: &graphBytes)
        out.reserve(graphBytes.bytes.count + 4096)
        out.message(7, graphBytes)
        out.message(8) { set in
            set.string(1, "")
            set.int(2, opset)
        }
        for key in metadata.keys.sorted() {
            out.message(14) { entry in
                entry.string(1, key)
                entry.string(2, metadata[key]!)
            }
        }
        return out.bytes
    }

    /// Reads a model from a file's bytes: the fields this module writes; anything else in
    /// the file is skipped. - Throws: `ONNXExportError.malformed` naming what is wrong.
    public init(decoding bytes: [UInt8]) throws(ONNXExportError) {
        do {
            var graph: ONNXGraph?
            var metadata: [String: String] = [:]
            var (ir, opset, name, version) = (0, 0, "", "")
            for field in try ProtobufReader(bytes[...]).fields() {
                switch field.number {
                case 1: ir = try field.value.int(1)
                case 2: name = try field.value.string(2)
                case 3: version = try field.value.string(3)
                case 7: graph = try ONNXGraph(decoding: try field.value.slice(7))
                case 8:
                    var domain = "", v = 0
                    for f in try ProtobufReader(try field.value.slice(8)).fields() {
                        if f.number == 1 { domain = try f.value.string(1) }
                        if f.number == 2 { v = try f.value.int(2) }
                    }
                    if domain.isEmpty || domain == "ai.onnx" { opset = v }
                case 14:
                    var key = "", value = ""
                    for f in try ProtobufReader(try field.value.slice(14)).fields() {
                        if f.number == 1 { key = try f.value.string(1) }
                        if f.number == 2 { value = try f.value.string(2) }
                    }
                    metadata[key] = value
                default: continue
                }
            }
            guard let graph else { throw ProtobufReader.Malformed(description: "the model has no graph") }
            self.init(graph: graph, metadata: metadata, producerVersion: version)
            (irVersion, self.opset, producerName) = (ir, opset, name)
        } catch let error as ProtobufReader.Malformed {
            throw .malformed(error.description)
        } catch {
            throw .malformed("\(error)")
        }
    }
}
