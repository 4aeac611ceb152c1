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
                states; the scaling is inside the graph. An autoregressive forecaster
                (--decoder autoregressive) becomes two files, OUT with .encoder and .decoder
                before its extension: the encoder takes the window and returns the decoder's
                initial state; the decoder takes the targets' previous values [T, B, targets]
                and the state, and returns each step's [T, B, targets · quantiles] and the
                state — feed its point forecast back one step at a time. A model trained with
                --difference is refused (its graph would have to integrate the forecasts).
                A classifier's
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
            let graphs: [ONNXExportedGraph]
            do {
                switch try SeriesCheckpoint.load(checkpoint) {
                case .forecast(let forecaster, let setup):
                    if let d = setup.differencing {
                        throw CLIError(
                            "'\(checkpoint)' forecasts differences (--difference \(d.lag)); its ONNX graph would have to integrate them, which export does not do yet: train without --difference to export"
                        )
                    }
                    let columns = setup.targets + setup.covariates
                    let Q = forecaster.forecastLoss.outputsPerValue, K = setup.targets.count
                    let metadata = try metadata(setup, task: .forecast, extra: ["input_columns": JSONList.of(columns)])
                    if let model = forecaster as? AutoregressiveForecastModel {
                        // Per decoder step: K targets × Q quantiles.
                        let stepColumn = (0..<(K * Q)).map { setup.targets[$0 / Q] }
                        graphs = try model.onnxModels(
                            ONNXExportOptions(
                                input: .vectors, metadata: metadata, inputScaling: scaling(setup.scaler, columns),
                                outputScaling: scaling(setup.scaler, stepColumn)))
                    } else if let model = forecaster as? ForecastModel {
                        let outputColumn = (0..<model.configuration.outputSize).map { setup.targets[($0 / Q) % K] }
                        graphs = try model.onnxModels(
                            ONNXExportOptions(
                                input: .vectors, metadata: metadata, inputScaling: scaling(setup.scaler, columns),
                                outputScaling: scaling(setup.scaler, outputColumn)))
                    } else {
                        throw CLIError("'\(checkpoint)' holds a forecaster this version cannot export")
                    }
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
            Console.out(try ONNXFiles.write(graphs, to: onnx, checkpoint: checkpoint).lines.joined(separator: "\n") + "\n")
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
