import ArgumentParser
import Foundation
import RNN
import _ToolSupport

extension ForecastLoss.Kind: ExpressibleByArgument {}

/// `--decoder`: how a forecaster produces its horizon.
enum Decoder: String, ExpressibleByArgument, CaseIterable {
    /// All steps at once from the window's last state (`ForecastModel`).
    case direct
    /// One step at a time, each reading the previous value (`AutoregressiveForecastModel`).
    case autoregressive
}

/// The model's shape and loss, and how it is trained.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The recurrent cell.", valueName: "rnn|gru|lstm")) var cell: RecurrentCell = .lstm
    @OptionGroup var precision: PrecisionOptions
    @Option(help: ArgumentHelp("Hidden units per layer.", valueName: "n")) var hiddenSize = 64
    @Option(help: ArgumentHelp("Stacked recurrent layers.", valueName: "n")) var numLayers = 1
    @Option(help: ArgumentHelp("Dropout between layers and before the output in training.", valueName: "p")) var dropout: Float = 0
    @Flag(help: "Read each window (or sequence) both ways.") var bidirectional = false
    @Option(
        help: ArgumentHelp(
            "forecast: direct (every step of the horizon at once) or autoregressive (one step at a time, each reading the previous value: the actual one in training, its own forecast after).",
            valueName: "direct|autoregressive"))
    var decoder: Decoder = .direct
    @Option(help: ArgumentHelp("forecast: the training loss.", valueName: "mse|mae|quantile")) var loss: ForecastLoss.Kind = .squaredError
    @Option(help: ArgumentHelp("With --loss quantile: the quantiles, ascending (0.5 is the point forecast).", valueName: "q,q,..."))
    var quantiles = "0.1,0.5,0.9"

    @Option(help: ArgumentHelp("Passes over the training windows (sequences).", valueName: "n")) var epochs = 20
    @Option(help: ArgumentHelp("Windows (sequences) per step.", valueName: "n")) var batchSize = 32
    @Option(help: ArgumentHelp("Optimizer, with PyTorch's defaults besides the learning rate (as charrnn).", valueName: "name"))
    var optimizer: OptimizerKind = .adam
    @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: ArgumentHelp("Learning rate.", valueName: "x"))
    var learningRate: Float = 0.005
    @Option(help: ArgumentHelp("Seed of the initialization and the batch order.", valueName: "n")) var seed: UInt64 = 0
    @Option(
        name: [.customLong("validation"), .customLong("val-fraction")],
        help: ArgumentHelp(
            "The share of rows (sequences) held out for validation, the last by time (--val-fraction, as charrnn, works too).",
            valueName: "f"))
    var validation = 0.1
    @Option(help: ArgumentHelp("The share held out for testing, after validation.", valueName: "f")) var test = 0.1
    @Option(help: ArgumentHelp("Threads (default: one per core).", valueName: "n")) var threads: Int?

    var forecastLoss: ForecastLoss {
        get throws {
            guard loss == .quantile else { return ForecastLoss(kind: loss, quantiles: []) }
            let values = quantiles.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw CLIError("--quantiles '\(quantiles)' is not a list of numbers such as 0.1,0.5,0.9")
            }
            let result = ForecastLoss.quantiles(values.map { $0! })
            if let problem = result.problem { throw CLIError("--quantiles: \(problem)") }
            return result
        }
    }

    var recurrent: RecurrentConfiguration {
        RecurrentConfiguration(cell: cell, hiddenSize: hiddenSize, numLayers: numLayers, bidirectional: bidirectional)
    }

    func validate() throws {
        for (value, range, name) in [
            (hiddenSize, 1...65_536, "--hidden-size"), (numLayers, 1...64, "--num-layers"), (epochs, 1...1_000_000, "--epochs"),
            (batchSize, 1...65_536, "--batch-size"),
        ] where !range.contains(value) {
            throw CLIError("\(name) \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        guard dropout >= 0 && dropout < 1 else { throw CLIError("--dropout \(dropout) is outside [0, 1)") }
        if decoder == .autoregressive && bidirectional {
            throw CLIError("--decoder autoregressive reads the forecast it has just made, so it runs forward only; drop --bidirectional")
        }
        guard learningRate > 0 && learningRate.isFinite else { throw CLIError("--lr must be a positive number") }
        guard (0..<1).contains(validation), (0..<1).contains(test), validation + test < 1 else {
            throw CLIError("--validation \(validation) and --test \(test) must each be in [0, 1) and leave rows for training")
        }
        if let threads, !(1...256).contains(threads) { throw CLIError("--threads \(threads) is outside 1...256") }
        _ = try forecastLoss
    }
}
