import ArgumentParser
import Foundation
import ONNXExport
import RNN
import _ToolSupport

extension Seq2Seq {
    /// `seq2seq export`: a checkpoint as an encoder graph and a decoder graph (ONNX).
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint's model as ONNX (opset 10): an encoder graph and a decoder graph.",
            discussion: """
                OUT gets .encoder and .decoder before its extension. The encoder takes `tokens`
                int64 [Ts, B] (the source's tokens) and `lengths`, and returns `hn` (`cn`), the
                decoder's first state, and with attention `memory` [Ts, B, M]. The decoder takes
                `tokens` [T, B] (the start token, then each token chosen), `h0` (`c0`) and with
                attention `memory` and `memory_lengths`, and returns `logits` [T, B, V], `hn`
                (`cn`) and with attention `attention` [T, B, Ts]; feed one step at a time for
                greedy decoding or a beam. The metadata holds both vocabularies
                (`seq2seq_vocabularies`: the symbols in token order, `<s>` and `</s>` among the
                target's). See docs/onnx.md and docs/seq2seq.md.

                Example:
                  seq2seq export --checkpoint numbers.safetensors --onnx numbers.onnx
                """
        )

        @Option(help: ArgumentHelp("The checkpoint (written by seq2seq train).", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("The ONNX file to write (two files: .encoder and .decoder).", valueName: "path"))
        var onnx: String
        @Flag(help: "Also return `probabilities`, the softmax of the logits.") var softmax = false

        func run() throws {
            try OutputPath.checkWritable(onnx, option: "--onnx")
            let saved = try Seq2SeqCheckpoint(path: checkpoint, option: "--checkpoint")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let vocabularies = String(decoding: try encoder.encode(saved.vocabularies), as: UTF8.self)
            let graphs: [ONNXExportedGraph]
            do {
                graphs = try saved.model.onnxModels(
                    ONNXExportOptions(softmax: softmax, metadata: [Seq2SeqCheckpoint.vocabulariesKey: vocabularies]))
            } catch {
                throw CLIError("\(error)")
            }
            Console.out(try ONNXFiles.write(graphs, to: onnx, checkpoint: checkpoint).lines.joined(separator: "\n") + "\n")
        }
    }
}
