import ArgumentParser
import Foundation
import RNN
import SequenceData
import _FileIO
import _ToolSupport

extension Series {
    /// `series eval`: the metrics of a checkpoint on a CSV file, beside the baselines.
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Evaluate a checkpoint on a CSV file: forecast errors beside the naive and seasonal-naive baselines, or classification accuracy.",
            discussion: """
                A forecaster is evaluated at every forecast origin from data row --test-from
                (1-based; default: the first test row of the split training recorded) to the
                end, each from the --window rows before it (rolling origin): MAE, RMSE, MASE
                (scaled by the seasonal-naive in-sample error before --test-from), sMAPE and,
                with quantiles, the coverage of the outer quantiles' interval — the naive and
                seasonal-naive forecasts of the same windows beside them. A classifier is
                evaluated on every sequence of the file: accuracy, macro-F1, the confusion
                matrix (rows: actual, columns: predicted).

                Examples:
                  series eval --checkpoint load.safetensors --csv load.csv
                  series eval --checkpoint load.safetensors --csv load.csv --test-from 8000 --json
                """
        )

        @Option(help: ArgumentHelp("The checkpoint (written by series train).", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("The CSV file, with the training file's columns.", valueName: "file")) var csv: String
        @Option(help: ArgumentHelp("forecast: the first data row (1-based) to forecast.", valueName: "row")) var testFrom: Int?
        @OptionGroup var precision: PrecisionOptions
        @Flag(help: "Print the metrics as one JSON object.") var json = false

        func run() throws {
            switch try SeriesCheckpoint.load(checkpoint) {
            case .forecast(let model, let setup):
                try precision.apply(to: model)
                try forecast(model, setup)
            case .classify(let model, let setup):
                try precision.apply(to: model)
                try classify(model, setup)
            }
        }

        private func forecast(_ model: any Forecaster, _ setup: ForecastSetup) throws {
            let table = try ForecastEvaluation.table(csv, setup: setup)
            let n = table.rowCount, H = setup.windows.horizon
            let from = testFrom.map { $0 - 1 } ?? setup.split.validationEnd
            guard from >= 1 && from < n else {
                throw CLIError("--test-from \(from + 1) is outside the \(n) data rows of '\(csv)' (1...\(n))")
            }
            // Every origin whose window fits before it and whose horizon fits in the file.
            let first = max(from, setup.firstOrigin), last = n - H
            let origins = first <= last ? Array(first...last) : []
            guard !origins.isEmpty else {
                throw CLIError(
                    "no forecast origin from row \(from + 1) of '\(csv)' has --window \(setup.windows.inputLength) rows before it and --horizon \(H) after; give an earlier --test-from"
                )
            }
            guard from > setup.seasonality else {
                throw CLIError(
                    "--test-from \(from + 1) leaves \(from) rows before it; MASE's scale needs more than the seasonality \(setup.seasonality)"
                )
            }
            let evaluation = ForecastEvaluation(model: model, setup: setup, table: table)
            let (m, naive, seasonal) = evaluation.metrics(origins: origins, trainingEnd: from)
            if json {
                func object(_ x: ForecastMetrics) -> String {
                    var s = "{\"mae\": \(x.mae), \"rmse\": \(x.rmse), \"mase\": \(x.mase), \"smape\": \(x.smape)"
                    if let c = x.coverage { s += ", \"coverage\": \(c)" }
                    return s + ", \"count\": \(x.count)}"
                }
                Console.out(
                    "{\"model\": \(object(m)), \"naive\": \(object(naive)), \"seasonal_naive\": \(object(seasonal)), \"origins\": \(origins.count), \"first_row\": \(origins[0] + 1)}\n"
                )
                return
            }
            func row(_ name: String, _ x: ForecastMetrics) -> String {
                name.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + [x.mae, x.rmse, x.mase, x.smape].map { String(format: "%10.4f", $0) }.joined()
                    + (x.coverage.map { String(format: "%10.1f%%", 100 * $0) } ?? "")
            }
            var lines = [
                "checkpoint      \(checkpoint) (\(model.configuration.summary))",
                "data            \(csv): \(Format.count(n)) rows; \(Format.count(origins.count)) forecast origins from row \(origins[0] + 1), \(H) step\(H == 1 ? "" : "s") each (m = \(setup.seasonality))",
                "",
                "                       MAE      RMSE      MASE   sMAPE %" + (m.coverage != nil ? "  coverage" : ""),
                row("model", m), row("naive", naive), row("seasonal naive", seasonal),
            ]
            if m.coverage != nil {
                let q = model.forecastLoss.quantiles
                lines.append("(coverage: the share of actual values within the \(q.first!)–\(q.last!) quantile forecasts)")
            }
            Console.out(lines.joined(separator: "\n") + "\n")
        }

        private func classify(_ model: ManyToOneModel, _ setup: ClassificationSetup) throws {
            let set = try ClassifierData.sequences(
                csv, id: setup.id, label: setup.label, time: setup.time, features: setup.features, fill: setup.fill)
            let actual = try set.labels.enumerated().map { i, label in
                guard let c = setup.classes.firstIndex(of: set.classes[label]) else {
                    throw CLIError(
                        "sequence '\(set.ids[i])' of '\(csv)' has the label '\(set.classes[label])', which the checkpoint does not know (its classes: \(setup.classes.joined(separator: ", ")))"
                    )
                }
                return c
            }
            let predicted = try ClassifierPrediction.classes(model, setup: setup, sequences: set.sequences)
            let metrics = ClassificationMetrics(predicted: predicted, actual: actual, classes: setup.classes.count)
            if json {
                let rows = metrics.confusion.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: ", ")
                Console.out(
                    "{\"accuracy\": \(metrics.accuracy), \"macro_f1\": \(metrics.macroF1), \"confusion\": [\(rows)], \"classes\": [\(setup.classes.map(JSONString.quoted).joined(separator: ", "))]}\n"
                )
                return
            }
            var lines = [
                "checkpoint      \(checkpoint) (\(model.configuration.summary))",
                "data            \(csv): \(Format.count(set.sequences.count)) sequences",
                String(format: "accuracy        %.2f%%", 100 * metrics.accuracy),
                String(format: "macro-F1        %.4f", metrics.macroF1),
                "confusion       (rows: actual, columns: predicted: \(setup.classes.joined(separator: ", ")))",
            ]
            for (c, row) in metrics.confusion.enumerated() {
                lines.append(
                    "  " + setup.classes[c].padding(toLength: 14, withPad: " ", startingAt: 0)
                        + row.map { String(format: "%8d", $0) }.joined())
            }
            Console.out(lines.joined(separator: "\n") + "\n")
        }
    }
}

/// A classifier's predictions for sequences in real units.
enum ClassifierPrediction {
    static func classes(_ model: ManyToOneModel, setup: ClassificationSetup, sequences: [[[Float]]]) throws -> [Int] {
        let scaled = setup.scaled(sequences)
        var out: [Int] = []
        for start in stride(from: 0, to: scaled.count, by: 256) {
            let chunk = Array(scaled[start..<min(start + 256, scaled.count)])
            do {
                let batch = try ManyToOneModel.Batch(sequences: chunk, labels: [Int](repeating: 0, count: chunk.count))
                out += model.predict(batch).map(Int.init)
            } catch {
                throw CLIError("the sequences cannot be batched: \(error)")
            }
        }
        return out
    }
}
