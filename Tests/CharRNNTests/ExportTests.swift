import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing
import ToolTesting

/// `charrnn export`: the README's Python example samples an exported model as
/// `charrnn sample --temperature 0` does, library checkpoints of two-graph architectures
/// become two files, and bad input is one `error:` line with nothing written.
@Suite struct ExportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The ```python blocks of `document` (relative to the checkout) that use ONNX Runtime.
    static func onnxPythonBlocks(_ document: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
        return text.components(separatedBy: "```python\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
            .filter { $0.contains("onnxruntime") }
    }

    @Test func theReadmeAndTheGuideShowOneSamplingExample() throws {
        let readme = try Self.onnxPythonBlocks("README.md"), guide = try Self.onnxPythonBlocks("docs/onnx.md")
        #expect(readme.count == 1 && guide.count == 1)
        #expect(readme == guide, "the README's ONNX Runtime example differs from docs/onnx.md's")
    }

    /// The tutorial's model (and a 2-layer GRU and LSTM trained on it) exported, then
    /// stepped from Python with the README's code: the text `charrnn sample` prints.
    @Test(
        .precision(.fp32),
        .enabled(if: ONNXPython.oracle.path != nil, Comment(rawValue: ONNXPython.oracle.skipReason)),
        arguments: [[], ["--cell", "gru", "--num-layers", "2"], ["--cell", "lstm", "--num-layers", "2"]])
    func theReadmesPythonExampleSamplesAsCharrnnDoes(options: [String]) throws {
        try withTemporaryDirectory { dir in
            let train = try ToolProcess.run(["train", "--checkpoint", "model.safetensors", "--quiet"] + options, in: dir)
            #expect(train.status == 0, "\(train)")
            let export = try ToolProcess.run(["export", "--checkpoint", "model.safetensors", "--onnx", "model.onnx"], in: dir)
            #expect(export.status == 0 && export.stderr.isEmpty, "\(export)")
            #expect(export.stdout.contains("wrote       model.onnx: ONNX opset 10"), "\(export)")
            #expect(export.stdout.contains("inputs    tokens: int64[T, B], lengths: int32[B] (optional), h0: float["), "\(export)")
            let sample = try ToolProcess.run(
                ["sample", "--checkpoint", "model.safetensors", "--prime", "good", "--temperature", "0", "--length", "11"], in: dir)
            #expect(sample.status == 0, "\(sample)")
            if options.isEmpty { #expect(sample.stdout == "good i am fine \n") }
            let program = try #require(try Self.onnxPythonBlocks("README.md").first)
            let script = try write(program, to: "sample.py", in: dir)
            let (status, output) = try ONNXPython.oracle.run(file: script, in: dir)
            #expect(status == 0, "\(output)")
            // ONNX Runtime's load-time warnings go to stderr, which run() merges: the text is the last line.
            #expect(output.split(separator: "\n").last.map(String.init) == String(sample.stdout.dropLast()), "\(output)")
        }
    }

    @Test func libraryCheckpointsOfAnEncoderDecoderAndAForecasterExport() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 8)
            let model = EncoderDecoderModel(
                .init(
                    sourceVocabularySize: 5, targetVocabularySize: 7, startToken: 5, endToken: 6,
                    recurrent: .init(cell: .gru, hiddenSize: 4, numLayers: 2), bidirectionalEncoder: true),
                using: &rng)
            try ModelCheckpoint(model: model).write(path: dir + "/ed.safetensors")
            let r = try ToolProcess.run(["export", "--checkpoint", "ed.safetensors", "--onnx", "ed.onnx", "--softmax"], in: dir)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("checkpoint  ed.safetensors (encoder_decoder, cell gru, hidden_size 4, num_layers 2"), "\(r)")
            #expect(
                r.stdout.contains("wrote       ed.encoder.onnx (encoder)") && r.stdout.contains("wrote       ed.decoder.onnx (decoder)"),
                "\(r)")
            #expect(r.stdout.contains("outputs   logits: float[T, B, 7], hn: float[2, B, 4], probabilities: float[T, B, 7]"), "\(r)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/ed.onnx"))

            let forecaster = ForecastModel(
                .init(inputSize: 3, horizon: 4, recurrent: .init(cell: .lstm, hiddenSize: 5)), using: &rng)
            try ModelCheckpoint(model: forecaster).write(path: dir + "/f.safetensors")
            let f = try ToolProcess.run(["export", "--checkpoint", "f.safetensors", "--onnx", "f.onnx"], in: dir)
            #expect(f.status == 0, "\(f)")
            #expect(f.stdout.contains("inputs    inputs: float[T, B, 3], lengths: int32[B] (optional)"), "\(f)")
            #expect(f.stdout.contains("outputs   outputs: float[B, 4], hn: float[1, B, 5], cn: float[1, B, 5]"), "\(f)")
        }
    }

    @Test func badInputIsOneErrorLineAndNothingWritten() throws {
        try withTemporaryDirectory { dir in
            _ = try ToolProcess.run(["train", "--checkpoint", "m.safetensors", "--quiet"], in: dir)
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: false)
            var unknown = SafeTensorsFile(metadata: ["format": "swift-rnn.model", "format_version": "4", "architecture": "tree"])
            unknown.tensors["w"] = .init(shape: [1], values: [0])
            try unknown.write(path: dir + "/tree.safetensors")
            _ = try write("not a checkpoint", to: "text.safetensors", in: dir)
            let cases: [([String], String)] = [
                (["--checkpoint", "missing.safetensors", "--onnx", "a.onnx"], "checkpoint 'missing.safetensors' does not exist"),
                (["--checkpoint", "m.safetensors", "--onnx", "out"], "--onnx 'out' is a directory"),
                (["--checkpoint", "m.safetensors", "--onnx", "./m.safetensors"], "is the checkpoint itself"),
                (["--checkpoint", "m.safetensors", "--onnx", "nowhere/a.onnx"], "directory 'nowhere' does not exist"),
                (
                    ["--checkpoint", "m.safetensors", "--onnx", "a.onnx", "--input", "vectors"],
                    "is a text model (17 characters), which reads tokens"
                ),
                (["--checkpoint", "m.safetensors", "--onnx", "a.onnx", "--input", "images"], "--input"),
                (["--checkpoint", "tree.safetensors", "--onnx", "a.onnx"], "architecture 'tree', which cannot be exported"),
                (["--checkpoint", "text.safetensors", "--onnx", "a.onnx"], "'text.safetensors' is not a valid checkpoint"),
            ]
            for (arguments, message) in cases {
                let r = try ToolProcess.run(["export"] + arguments, in: dir)
                #expect(r.status != 0 && r.stdout.isEmpty, "\(arguments): \(r)")
                #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(arguments): \(r)")
                #expect(r.stderr.split(separator: "\n").count == 1 || arguments.contains("images"), "\(arguments): \(r)")
                #expect(!FileManager.default.fileExists(atPath: dir + "/a.onnx"), "\(arguments)")
            }
            #expect(try Checkpoint.read(path: dir + "/m.safetensors").model.rnn.hiddenSize == 12)
        }
    }
}
