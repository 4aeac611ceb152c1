import ArgumentParser
import Foundation
import ONNXExport
import RNN
import RNNTraining
import SafeTensors
import _ToolSupport

extension CharRNN {
    /// `charrnn export`: a checkpoint's model as ONNX.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint's model as ONNX, to run with ONNX Runtime (Python, C++, C#, Java, JavaScript).",
            discussion: """
                The graph takes `tokens` (int64 [T, B], time-major) and, optionally,
                `lengths` (int32 [B]) and the state `h0` (and `c0` for an LSTM,
                float [layers, B, hidden]; zeros when left out); it returns `logits`
                [T, B, vocabulary], then the state after the last step, `hn` (and `cn`),
                to feed back as `h0`/`c0` for the next tokens. The vocabulary and the unit
                are in the file's metadata (`vocabulary`, `unit`), with the model's
                configuration. Opset 10; dropout is left out. The file is written
                atomically: an existing one is only replaced by a complete new one.

                A checkpoint of another architecture (format swift-rnn.model, written by
                the library's ModelCheckpoint) is exported too: a classifier's `logits` are
                [B, classes]; a one-to-many or encoder-decoder model becomes two graphs,
                OUT with .initial_state/.encoder and .decoder before its extension.

                Examples:
                  charrnn export --checkpoint model.safetensors --onnx model.onnx
                  charrnn export --checkpoint model.safetensors --onnx model.onnx --softmax
                See docs/onnx.md for running and sampling the model from Python.
                """
        )

        @Option(help: ArgumentHelp("The checkpoint to export (.safetensors).", valueName: "path"))
        var checkpoint: String

        @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "path"))
        var onnx: String

        @Flag(help: "Also output `probabilities`, the softmax of the logits over the vocabulary (after the states).")
        var softmax = false

        @Option(
            help: ArgumentHelp(
                "What the graph of a model without an embedding takes: tokens (int64 [T, B]) or vectors (`inputs`, float [T, B, I]; library models of dense input only).",
                valueName: "tokens|vectors"))
        var input: ONNXExportOptions.Input = .tokens

        func run() throws {
            try OutputPath.checkWritable(onnx, option: "--onnx")
            let started = now()
            let metadata = (try? SafeTensorsFile.readHeader(path: checkpoint))?.metadata ?? [:]
            let (graphs, description) =
                metadata["format"] == ModelCheckpoint<ManyToManyModel>.format
                ? try exportLibraryModel(architecture: metadata["architecture"] ?? "(none)") : try exportTextModel()
            let (written, bytes) = try ONNXFiles.write(graphs, to: onnx, checkpoint: checkpoint)
            let seconds = now() - started
            var lines = ["checkpoint  \(checkpoint) (\(description))"] + written
            lines.append("size        \(Format.bytes(bytes)) in \(Format.duration(seconds))")
            Console.out(lines.joined(separator: "\n") + "\n")
        }

        /// A charrnn checkpoint: the character (byte, word) model with its vocabulary and
        /// unit in the metadata.
        private func exportTextModel() throws -> ([ONNXExportedGraph], String) {
            let ck = try CheckpointFile.load(checkpoint, option: "--checkpoint")
            guard input == .tokens else {
                throw CLIError(
                    "--input vectors: '\(checkpoint)' is a text model (\(ck.vocabulary.summary)), which reads tokens; leave --input out")
            }
            var metadata = ck.vocabulary.metadata
            metadata["unit"] = ck.vocabulary.unit.rawValue
            return (try graphs(ck.model, metadata: metadata), CheckpointFile.describe(ck))
        }

        /// A library checkpoint (`ModelCheckpoint`) of any architecture.
        private func exportLibraryModel(architecture: String) throws -> ([ONNXExportedGraph], String) {
            func load<Model: ONNXExportable>(_ type: Model.Type) throws -> ([ONNXExportedGraph], String) {
                do {
                    let model = try ModelCheckpoint<Model>.read(path: checkpoint, byteBudget: Int(MemoryBudget.current().bytes * 0.8)).model
                    return (
                        try graphs(model, metadata: [:]),
                        "\(architecture), \(model.configuration.summary), \(Format.count(model.parameters.count)) parameters"
                    )
                } catch let error as CLIError {
                    throw error
                } catch {
                    throw CLIError("--checkpoint '\(checkpoint)' is not a usable checkpoint: \(error)")
                }
            }
            switch architecture {
            case ManyToManyModel.Configuration.architecture: return try load(ManyToManyModel.self)
            case ManyToOneModel.Configuration.architecture: return try load(ManyToOneModel.self)
            case OneToManyModel.Configuration.architecture: return try load(OneToManyModel.self)
            case EncoderDecoderModel.Configuration.architecture: return try load(EncoderDecoderModel.self)
            case ForecastModel.Configuration.architecture: return try load(ForecastModel.self)
            default:
                throw CLIError(
                    "--checkpoint '\(checkpoint)' holds a model of architecture '\(architecture)', which cannot be exported: the architectures are many_to_many, many_to_one, one_to_many, encoder_decoder and forecaster"
                )
            }
        }

        private func graphs<Model: ONNXExportable>(_ model: Model, metadata: [String: String]) throws -> [ONNXExportedGraph] {
            do {
                return try model.onnxModels(ONNXExportOptions(input: input, softmax: softmax, metadata: metadata))
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}

extension ONNXExportOptions.Input: ExpressibleByArgument {}
