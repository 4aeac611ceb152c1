import ArgumentParser
import _ToolSupport

/// `series`: forecasting and sequence classification from CSV files.
@main
struct Series: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "Train recurrent forecasters and sequence classifiers on CSV files, evaluate them against baselines, and predict.",
        discussion: """
            Forecast a column (or several) from its past and other columns:
              series train --csv load.csv --task forecast --target load --time time \\
                           --window 48 --horizon 24 --seasonality 24 --checkpoint load.safetensors
              series eval --checkpoint load.safetensors --csv load.csv
              series predict --checkpoint load.safetensors --csv load.csv --output next.csv --plot next.svg
            Classify sequences given as a long table (one row per step, an id column per
            sequence, a label column):
              series train --csv gestures.csv --task classify --id id --label gesture --checkpoint g.safetensors
              series eval --checkpoint g.safetensors --csv gestures.csv --json
            Every forecast evaluation prints the naive and seasonal-naive baselines on the
            same windows. Checkpoints are safetensors files (ModelCheckpoint) with the data
            preparation (columns, scaling, differencing, windows, split) in their metadata.
            """,
        version: "0.1.0",
        subcommands: [Train.self, Eval.self, Predict.self, Export.self]
    )

    static func main() {
        InterruptHandler.prepare()  // before any thread starts: see its notes on oneDNN
        runReportingErrors()
    }
}
