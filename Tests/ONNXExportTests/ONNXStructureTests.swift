import Foundation
import Linalg
import ONNXExport
import RNN
import Testing
import ToolTesting

/// The written files read back in Swift (no Python needed): the interface, the operators
/// and their attributes, the weights in ONNX's gate order, the metadata, the file names of
/// two-graph models, and the errors.
@Suite struct ONNXStructureTests {
    static func read(_ path: String) throws -> ONNXModel {
        try ONNXModel(decoding: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func aCharacterModelsGraphHasTheInterfaceAndPyTorchsWeightsInONNXsGateOrder() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 3)
            let model = ManyToManyModel(
                .init(inputSize: 5, outputSize: 5, recurrent: .init(cell: .lstm, hiddenSize: 4, numLayers: 2)), using: &rng)
            let paths = try ONNXExport.write(model, to: dir + "/m.onnx", options: .init(metadata: ["vocabulary": "abcde", "unit": "char"]))
            #expect(paths == [dir + "/m.onnx"])
            let onnx = try Self.read(paths[0])
            #expect(onnx.irVersion == 5 && onnx.opset == 10 && onnx.producerName == "swift-rnn")
            #expect(
                onnx.graph.inputs.map(\.summary) == [
                    "tokens: int64[T, B]", "lengths: int32[B]", "h0: float[2, B, 4]", "c0: float[2, B, 4]",
                ])
            #expect(onnx.graph.outputs.map(\.summary) == ["logits: float[T, B, 5]", "hn: float[2, B, 4]", "cn: float[2, B, 4]"])
            // The optional inputs have defaults: zeros of batch 1, and lengths 0 (all T).
            #expect(
                onnx.graph.initializer("h0")?.dimensions == [2, 1, 4] && onnx.graph.initializer("h0")?.floats.allSatisfy { $0 == 0 } == true
            )
            #expect(onnx.graph.initializer("lengths")?.integers == [0])
            #expect(onnx.graph.initializer("tokens") == nil)

            let lstms = onnx.graph.nodes.filter { $0.operation == "LSTM" }
            #expect(lstms.count == 2)
            #expect(lstms.allSatisfy { $0.attribute("hidden_size") == .int(4) && $0.attribute("direction") == .string("forward") })
            #expect(lstms[0].outputs.count == 3 && lstms[0].inputs.count == 7)
            #expect(onnx.graph.nodes.contains { $0.operation == "OneHot" })
            #expect(!onnx.graph.nodes.contains { $0.operation == "Dropout" })

            // W_l1: [D, 4H, D·H], blocks (i, o, f, c) = PyTorch's (i, f, g, o) rows 0, 3, 1, 2.
            let W = try #require(onnx.graph.initializer("rnn.W_l1"))
            #expect(W.dimensions == [1, 16, 4])
            let ih = model.parameters.tensor("rnn.weight_ih_l1")
            let blocks: [Float] = [0, 3, 1, 2].flatMap { (block: Int) -> [Float] in Array(ih[block * 16..<(block + 1) * 16]) }
            #expect(W.floats == blocks)
            let B = try #require(onnx.graph.initializer("rnn.B_l0"))
            let bias = { (name: String) in
                let b = model.parameters.tensor(name)
                return [0, 3, 1, 2].flatMap { (block: Int) -> [Float] in Array(b[block * 4..<(block + 1) * 4]) }
            }
            #expect(B.dimensions == [1, 32] && B.floats == bias("rnn.bias_ih_l0") + bias("rnn.bias_hh_l0"))
            #expect(onnx.graph.initializer("fc.weight")?.floats == model.parameters.tensor("fc.weight"))

            #expect(onnx.metadata["architecture"] == "many_to_many" && onnx.metadata["graph"] == "model")
            #expect(onnx.metadata["vocabulary"] == "abcde" && onnx.metadata["unit"] == "char")
            let configuration = try JSONDecoder().decode(
                ManyToManyModel.Configuration.self, from: Data(try #require(onnx.metadata["configuration"]).utf8))
            #expect(configuration == model.configuration)
            // Reading and writing again gives the same bytes.
            #expect(onnx.serialized() == Array(try Data(contentsOf: URL(fileURLWithPath: paths[0]))))
        }
    }

    @Test func eachCellGetsItsOperatorAndAttributes() throws {
        var rng = SeededRandom(seed: 4)
        let gru = ManyToOneModel(
            .init(inputSize: 3, outputSize: 2, recurrent: .init(cell: .gru, hiddenSize: 5, bidirectional: true)), using: &rng)
        let g = try #require(try gru.onnxModels(.init(input: .vectors)).first).model
        let node = try #require(g.graph.nodes.first { $0.operation == "GRU" })
        #expect(node.attribute("linear_before_reset") == .int(1) && node.attribute("direction") == .string("bidirectional"))
        #expect(g.graph.initializer("rnn.R_l0")?.dimensions == [2, 15, 5])
        #expect(g.graph.inputs.first?.summary == "inputs: float[T, B, 3]")
        #expect(g.graph.outputs.map(\.summary) == ["logits: float[B, 2]", "hn: float[2, B, 5]"])
        // z, r, h = PyTorch's r, z, n blocks 1, 0, 2 (the reverse direction's second).
        let hh = gru.parameters.tensor("rnn.weight_hh_l0_reverse")
        let R = try #require(g.graph.initializer("rnn.R_l0")).floats
        let reordered: [Float] = [1, 0, 2].flatMap { (block: Int) -> [Float] in Array(hh[block * 25..<(block + 1) * 25]) }
        #expect(Array(R[75...]) == reordered)

        let relu = ManyToManyModel(
            .init(inputSize: 3, outputSize: 3, recurrent: .init(cell: .rnn, hiddenSize: 2, nonlinearity: .relu, bidirectional: true)),
            using: &rng)
        let r = try #require(try relu.onnxModels(.init(softmax: true)).first).model
        #expect(r.graph.nodes.first { $0.operation == "RNN" }?.attribute("activations") == .strings(["Relu", "Relu"]))
        #expect(r.graph.outputs.map(\.name) == ["logits", "hn", "probabilities"])
        // Reshape's -1 (a negative varint) survives the round trip.
        let m2o = try ONNXModel(decoding: g.serialized())
        #expect(m2o.graph.initializers.contains { $0.elementType == .int64 && $0.integers == [0, -1] })
    }

    @Test func twoGraphModelsWriteTwoFilesNamedByRole() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 5)
            let model = EncoderDecoderModel(
                .init(
                    sourceVocabularySize: 4, targetVocabularySize: 6, startToken: 4, endToken: 5,
                    recurrent: .init(cell: .lstm, hiddenSize: 3), bidirectionalEncoder: true),
                using: &rng)
            let paths = try ONNXExport.write(model, to: dir + "/translate.onnx")
            #expect(paths == [dir + "/translate.encoder.onnx", dir + "/translate.decoder.onnx"])
            let encoder = try Self.read(paths[0]), decoder = try Self.read(paths[1])
            #expect(encoder.metadata["graph"] == "encoder" && decoder.metadata["graph"] == "decoder")
            #expect(encoder.graph.outputs.map(\.summary) == ["hn: float[1, B, 3]", "cn: float[1, B, 3]"])
            #expect(decoder.graph.inputs.map(\.name) == ["tokens", "lengths", "h0", "c0"])
            #expect(encoder.graph.initializer("bridge_cell.weight")?.dimensions == [3, 6])
            #expect(
                ONNXExport.paths(for: "out/m", roles: ["initial_state", "decoder"]) == ["out/m.initial_state.onnx", "out/m.decoder.onnx"])
        }
    }

    @Test func badRequestsAndBadFilesAreClearErrors() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 6)
            let model = ManyToManyModel(
                .init(inputSize: 5, outputSize: 5, recurrent: .init(cell: .gru, hiddenSize: 4), embeddingSize: 3), using: &rng)
            #expect(throws: ONNXExportError.unsupported("the model reads tokens through its embedding, so its graph cannot take vectors")) {
                try ONNXExport.write(model, to: dir + "/v.onnx", options: .init(input: .vectors))
            }
            #expect(!FileManager.default.fileExists(atPath: dir + "/v.onnx"))

            // A failed write leaves the file that was there.
            try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/keep.onnx"))
            try FileManager.default.createDirectory(atPath: dir + "/keep.onnx.dir", withIntermediateDirectories: false)
            do {
                try ONNXExport.write(model, to: dir + "/missing/m.onnx")
                Issue.record("writing into a missing directory succeeded")
            } catch {
                #expect("\(error)".contains("missing"), "\(error)")
            }
            #expect(throws: ONNXExportError.self) { try ONNXExport.write(model, to: dir + "/keep.onnx.dir") }
            #expect(try String(contentsOfFile: dir + "/keep.onnx", encoding: .utf8) == "keep")

            let bytes = try #require(try model.onnxModels(.init()).first).model.serialized()
            for bad in [Array(bytes.prefix(bytes.count / 2)), [0xff, 0xff], Array("not onnx".utf8)] {
                #expect(throws: ONNXExportError.self) { try ONNXModel(decoding: bad) }
            }
        }
    }
}
