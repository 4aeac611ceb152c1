import ArgumentParser
import Foundation
import ONNXExport
import RNN
import SequenceData
import _FileIO
import _ToolSupport

extension Series {
    /// `series export`: a checkpoint as ONNX that takes and returns real units.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a checkpoint's model as ONNX (opset 10) that takes and returns real units.",
            discussion: """
                A forecaster's graph takes `inputs` float [T, B, I] — the window's rows, the
                targets then the covariates as the metadata's `input_columns` lists them, in
                the CSV's units — and returns `outputs` [B, horizon · targets · quantiles] in
                the targets' units (laid out [horizon, target, quantile]), then the final
                states; the scaling is inside the graph. A model trained with --difference is
                refused (its graph would have to integrate the forecasts). A classifier's
                graph takes each sequence's feature rows and returns `logits` [B, classes]
                (the metadata's `classes` names them), with `lengths` for sequences of
                different lengths. The checkpoint's data preparation is in the metadata
                (`series_setup`). See docs/onnx.md for the interface.

                Example:
                  series export --checkpoint load.safetensors --onnx load.onnx
                """
        )

        @Option(help: ArgumentHelp("The checkpoint (written by series train).", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "path")) var onnx: String

        func run() throws {
            try OutputPath.checkWritable(onnx, option: "--onnx")
            if OutputPath.canonical(onnx) == OutputPath.canonical(checkpoint) {
                throw CLIError("--onnx '\(onnx)' is the checkpoint itself; give another file (model.onnx, say)")
            }
            let graphs: [ONNXExportedGraph]
            do {
                switch try SeriesCheckpoint.load(checkpoint) {
                case .forecast(let forecaster, let setup):
                    guard let model = forecaster as? ForecastModel else {
                        throw CLIError(
                            "'\(checkpoint)' holds an autoregressive forecaster; export writes the direct one (--decoder direct) for now: its decoder would be a second graph run once per step"
                        )
                    }
                    if let d = setup.differencing {
                        throw CLIError(
                            "'\(checkpoint)' forecasts differences (--difference \(d.lag)); its ONNX graph would have to integrate them, which export does not do yet: train without --difference to export"
                        )
                    }
                    let columns = setup.targets + setup.covariates
                    let Q = model.configuration.loss.outputsPerValue, K = setup.targets.count
                    let outputColumn = (0..<model.configuration.outputSize).map { setup.targets[($0 / Q) % K] }
                    graphs = try model.onnxModels(
                        ONNXExportOptions(
                            input: .vectors,
                            metadata: try metadata(setup, task: .forecast, extra: ["input_columns": JSONList.of(columns)]),
                            inputScaling: scaling(setup.scaler, columns),
                            outputScaling: scaling(setup.scaler, outputColumn)))
                case .classify(let model, let setup):
                    graphs = try model.onnxModels(
                        ONNXExportOptions(
                            input: .vectors,
                            metadata: try metadata(
                                setup, task: .classify,
                                extra: ["input_columns": JSONList.of(setup.features), "classes": JSONList.of(setup.classes)]),
                            inputScaling: scaling(setup.scaler, setup.features)))
                }
            } catch let error as ONNXExportError {
                throw CLIError("\(error)")
            }
            let model = graphs[0].model
            try OutputPath.write(model.serialized(), to: onnx, option: "--onnx")
            Console.out(
                """
                wrote       \(onnx): ONNX opset \(model.opset)
                  inputs    \(model.graph.inputSummary)
                  outputs   \(model.graph.outputSummary)

                """)
        }

        private func scaling(_ scaler: Scaler, _ columns: [String]) -> ONNXExportOptions.Scaling {
            ONNXExportOptions.Scaling(offset: columns.map { scaler.columns[$0]!.offset }, scale: columns.map { scaler.columns[$0]!.scale })
        }

        private func metadata<Setup: Encodable>(_ setup: Setup, task: Task, extra: [String: String]) throws -> [String: String] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return extra.merging([
                SeriesCheckpoint.taskKey: task.rawValue,
                SeriesCheckpoint.setupKey: String(decoding: try encoder.encode(setup), as: UTF8.self),
            ]) { $1 }
        }
    }
}

/// A JSON list of strings, for metadata.
enum JSONList {
    static func of(_ values: [String]) -> String { "[" + values.map(JSONString.quoted).joined(separator: ",") + "]" }
}
