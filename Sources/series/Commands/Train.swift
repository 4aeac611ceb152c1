import ArgumentParser
import Foundation
import Linalg
import SequenceData
import _ToolSupport

extension Series {
    /// `series train`: a forecaster or a classifier from a CSV file.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a forecaster (--task forecast) or a sequence classifier (--task classify) on a CSV file.",
            discussion: """
                Forecasting reads windows of --window rows and forecasts the next --horizon
                rows of the --target columns at once. The rows are ordered by --time (checked
                for regular spacing) and cut by time: the last --test and, before them,
                --validation shares are held out, never shuffled across. Scaling is fitted on
                the training rows only; --difference 1 (or a seasonal lag) removes a trend
                (or a season) first and is inverted on the forecasts.

                Classification groups the rows by --id into one sequence each (in --time
                order), labelled by --label; sequences are held out at random (seeded).

                Examples:
                  series train --csv load.csv --target load --time time --window 48 --horizon 24 \\
                               --seasonality 24 --checkpoint load.safetensors
                  series train --csv sales.csv --target sales --features price,promo --difference 1 \\
                               --loss quantile --quantiles 0.1,0.5,0.9 --window 24 --horizon 12 \\
                               --seasonality 12 --checkpoint sales.safetensors
                  series train --csv gestures.csv --task classify --id id --label gesture --time t \\
                               --checkpoint g.safetensors
                """
        )

        @OptionGroup var data: DataOptions
        @OptionGroup var model: ModelOptions

        @Option(help: ArgumentHelp("forecast: input rows per window.", valueName: "L")) var window = 24
        @Option(help: ArgumentHelp("forecast: future rows forecast at once.", valueName: "H")) var horizon = 1
        @Option(help: ArgumentHelp("forecast: rows between training windows.", valueName: "n")) var stride = 1
        @Option(help: ArgumentHelp("forecast: the season's length m (MASE, the seasonal-naive baseline).", valueName: "m"))
        var seasonality = 1
        @Option(help: ArgumentHelp("forecast: difference the targets at this lag first (1: trend; m: season).", valueName: "lag"))
        var difference: Int?
        @Option(help: ArgumentHelp("Per-column scaling, fitted on the training rows.", valueName: "standard|min-max|none")) var scale:
            Scaler.Kind = .standard

        @Option(help: ArgumentHelp("The checkpoint to write (safetensors).", valueName: "path")) var checkpoint: String

        @OptionGroup var output: HistoryOptions

        @Option(
            help: ArgumentHelp(
                "Continue the training of this checkpoint to --epochs in all, on the same --csv (its task, columns, preparation, model, batch size, split and seed come from the checkpoint): the result equals an uninterrupted run's.",
                valueName: "path"))
        var resume: String?

        func validate() throws {
            if resume == nil { try data.checkTaskColumns() }
            for (value, range, name) in [
                (window, 1...100_000, "--window"), (horizon, 1...100_000, "--horizon"), (stride, 1...100_000, "--stride"),
                (seasonality, 1...100_000, "--seasonality"),
            ] where !range.contains(value) {
                throw CLIError("\(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            if let difference, !(1...100_000).contains(difference) { throw CLIError("--difference \(difference) is outside 1...100000") }
        }

        func run() throws {
            try OutputPath.checkWritable(checkpoint, option: "--checkpoint")
            try output.checkWritable()
            if let threads = model.threads { ComputeThreads.count = threads }
            let forecast = ForecastTraining(
                data: data, model: model, window: window, horizon: horizon, stride: stride, seasonality: seasonality,
                difference: difference, scale: scale, checkpoint: checkpoint, history: output.history, plot: output.plot)
            let classify = ClassifierTraining(
                data: data, model: model, scale: scale, checkpoint: checkpoint, history: output.history, plot: output.plot)
            if let resume {
                // The checkpoint says which task it trains.
                switch try SeriesCheckpoint.task(resume) {
                case .forecast: return try forecast.resume(resume)
                case .classify: return try classify.resume(resume)
                }
            }
            switch data.task {
            case .forecast: try forecast.run()
            case .classify: try classify.run()
            }
        }
    }
}
