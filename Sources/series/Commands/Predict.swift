import ArgumentParser
import Foundation
import RNN
import SequenceData
import _ToolSupport

extension Series {
    /// `series predict`: forecasts from the end of a file, or a label per sequence.
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast from the end of a CSV file (or label each of its sequences) with a checkpoint.",
            discussion: """
                A forecaster reads the last --window rows of the file and forecasts the next
                --horizon rows: a CSV with the step (and, with a time column, the time) and
                each target's forecast, and with quantiles a column per quantile
                (TARGET_q0.1, ...). --plot draws the last rows, the forecast and its interval
                as an SVG. A classifier writes each sequence's id and label.

                Examples:
                  series predict --checkpoint load.safetensors --csv load.csv --output next.csv --plot next.svg
                  series predict --checkpoint g.safetensors --csv new-gestures.csv
                """
        )

        @Option(help: ArgumentHelp("The checkpoint (written by series train).", valueName: "path")) var checkpoint: String
        @Option(help: ArgumentHelp("The CSV file, with the training file's columns.", valueName: "file")) var csv: String
        @Option(help: ArgumentHelp("Write the predictions here (CSV) instead of to stdout.", valueName: "path")) var output: String?
        @Option(help: ArgumentHelp("forecast: draw history, forecast and interval as an SVG.", valueName: "path")) var plot: String?
        @OptionGroup var precision: PrecisionOptions

        func run() throws {
            for (path, option) in [(output, "--output"), (plot, "--plot")] {
                if let path { try OutputPath.checkWritable(path, option: option) }
            }
            let text: String
            switch try SeriesCheckpoint.load(checkpoint) {
            case .forecast(let model, let setup):
                try precision.apply(to: model)
                text = try forecast(model, setup)
            case .classify(let model, let setup):
                try precision.apply(to: model)
                if plot != nil { throw CLIError("--plot draws a forecast; a classifier's predictions are labels") }
                text = try classify(model, setup)
            }
            if let output { try OutputPath.write(text, to: output, option: "--output") } else { Console.out(text) }
        }

        private func forecast(_ model: any Forecaster, _ setup: ForecastSetup) throws -> String {
            let table = try ForecastEvaluation.table(csv, setup: setup)
            let n = table.rowCount, H = setup.windows.horizon
            guard n >= setup.firstOrigin else {
                throw CLIError(
                    "'\(csv)' has \(n) rows; forecasting from its end needs at least \(setup.firstOrigin) (--window \(setup.windows.inputLength)\(setup.differencing.map { " + --difference \($0.lag)" } ?? ""))"
                )
            }
            let evaluation = ForecastEvaluation(model: model, setup: setup, table: table)
            let forecast = evaluation.forecasts(from: [n])[0]
            let quantiles = model.forecastLoss.quantiles
            var header = ["step"]
            if setup.time != nil { header.append(setup.time!) }
            for name in setup.targets {
                header += quantiles.isEmpty ? [name] : quantiles.map { "\(name)_q\($0)" }
            }
            var lines = [header.map(CSVText.field).joined(separator: ",")]
            for h in 0..<H {
                var fields = ["\(h + 1)"]
                if let spacing = table.spacing, let last = table.times.last {
                    fields.append(last.advanced(by: h + 1, spacing: spacing).text)
                }
                for k in setup.targets.indices { fields += forecast[k].map { "\($0[h])" } }
                lines.append(fields.joined(separator: ","))
            }
            if let plot {
                let svg = ForecastPlot.svg(
                    history: table.numeric[setup.targets[0]]!, forecast: forecast[0], point: evaluation.pointIndex,
                    target: setup.targets[0], window: setup.windows.inputLength)
                try OutputPath.write(svg, to: plot, option: "--plot")
            }
            return lines.joined(separator: "\n") + "\n"
        }

        private func classify(_ model: ManyToOneModel, _ setup: ClassificationSetup) throws -> String {
            let set = try ClassifierData.sequences(
                csv, id: setup.id, label: setup.label, time: setup.time, features: setup.features, fill: setup.fill)
            let predicted = try ClassifierPrediction.classes(model, setup: setup, sequences: set.sequences)
            let lines =
                [CSVText.field(setup.id) + "," + CSVText.field(setup.label)]
                + zip(set.ids, predicted).map { CSVText.field($0) + "," + CSVText.field(setup.classes[$1]) }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}

/// CSV fields as RFC 4180 writes them: quoted when they hold a comma, a quote or a line break.
enum CSVText {
    static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
