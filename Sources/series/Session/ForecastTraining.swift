import Foundation
import Linalg
import RNN
import RNNTraining
import SequenceData
import _ToolSupport

/// `series train --task forecast`: the table, the setup, the windows, the trainer, one
/// progress line per epoch, the checkpoint.
struct ForecastTraining {
    let data: DataOptions
    let model: ModelOptions
    let window: Int, horizon: Int, stride: Int, seasonality: Int
    let difference: Int?
    let scale: Scaler.Kind
    let checkpoint: String

    func run() throws {
        let targets = DataOptions.list(data.target)!
        let named = DataOptions.list(data.features)
        let table = try TableLoading.load(
            data.csv,
            numeric: named.map { .named(targets + $0.filter { !targets.contains($0) }) }
                ?? .allNumeric(except: Set([data.time].compactMap { $0 })),
            time: data.time, fill: data.fill)
        for name in targets where !table.header.contains(name) {
            throw CLIError("--target '\(name)': '\(data.csv)' has no such column (its columns: \(table.header.joined(separator: ", ")))")
        }
        for name in targets where table.numeric[name] == nil {
            throw CLIError(
                "--target '\(name)': the column is not numeric in its first row (line \(table.lines.first ?? 2)) of '\(data.csv)'")
        }
        let covariates = table.numericNames.filter { !targets.contains($0) }
        let n = table.rowCount
        guard let split = TimeSplit.fractions(rowCount: n, validation: model.validation, test: model.test) else {
            throw CLIError("'\(data.csv)' has \(n) rows: too few to hold out --validation \(model.validation) and --test \(model.test)")
        }
        let setup = ForecastSetup(
            table: table, targets: targets, covariates: covariates, time: data.time, fill: data.fill,
            differencing: difference.map(Differencing.init(lag:)), scaling: scale,
            windows: ForecastWindows(inputLength: window, horizon: horizon, stride: stride), seasonality: seasonality, split: split)
        let trainOrigins = setup.origins(targets: split.train)
        guard !trainOrigins.isEmpty else {
            throw CLIError(
                "the \(split.trainEnd) training rows hold no window of --window \(window) + --horizon \(horizon)\(difference.map { " after --difference \($0)" } ?? ""); give a shorter window or horizon, or more rows"
            )
        }
        let columns = setup.modelColumns(table)
        let validationOrigins = setup.origins(targets: split.validation)

        var rng = SeededRandom(seed: model.seed)
        let configuration = ForecastModel.Configuration(
            inputSize: setup.inputSize, horizon: horizon, targetCount: targets.count, loss: try model.forecastLoss,
            recurrent: model.recurrent, dropout: model.dropout, dropoutSeed: model.seed)
        let forecaster = ForecastModel(configuration, using: &rng)
        let workers = max(1, min(model.threads ?? ComputeThreads.count, model.batchSize))
        let trainer = Trainer(model: forecaster, optimizer: Adam(learningRate: model.learningRate), workers: workers, clipNorm: 5)
        let source = ForecastWindowSource(
            windows: setup.windows, origins: trainOrigins, inputs: columns.inputs, targets: columns.targets,
            batchSize: model.batchSize, seed: model.seed)
        let validation =
            validationOrigins.isEmpty
            ? nil
            : ForecastWindowSource(
                windows: setup.windows, origins: validationOrigins, inputs: columns.inputs, targets: columns.targets,
                batchSize: 256, seed: 0
            ).evaluationBatches()

        Console.note(
            "series: forecasting \(targets.joined(separator: ", ")) \(horizon) step\(horizon == 1 ? "" : "s") ahead from \(window) (inputs: \((targets + covariates).joined(separator: ", ")))"
        )
        Console.note(
            "data: \(Format.count(n)) rows of '\(data.csv)'\(table.spacing.map { ", \($0.describe(dates: table.times.first?.month != nil))" } ?? ""); train \(Format.count(split.trainEnd)) rows (\(Format.count(trainOrigins.count)) windows), validation \(Format.count(split.validation.count)), test \(Format.count(split.test.count))"
        )
        Console.note(
            "model: \(Format.stack(cell: model.cell, nonlinearity: nil, numLayers: model.numLayers)), \(model.hiddenSize) hidden units\(model.bidirectional ? ", bidirectional" : ""), loss \(configuration.loss), \(Format.count(forecaster.parameters.count)) parameters; \(workers) thread\(workers == 1 ? "" : "s")"
        )
        var epochLoss = 0.0, epochSteps = 0, started = now()
        let trainingStarted = started
        do {
            try trainer.train(on: source, for: .epochs(model.epochs)) { event in
                switch event {
                case .step(let result):
                    epochLoss += result.loss
                    epochSteps += 1
                case .epochEnd(let epoch):
                    let validationText = validation.map { ", validation loss \(Format.loss(forecaster.meanLoss(over: $0).loss))" } ?? ""
                    Console.note(
                        "epoch \(epoch + 1)/\(model.epochs): train loss \(Format.loss(epochLoss / Double(max(epochSteps, 1))))\(validationText) (\(Format.duration(now() - started)))"
                    )
                    (epochLoss, epochSteps, started) = (0, 0, now())
                }
            }
        } catch let error as TrainingError {
            throw CLIError("training stopped: \(error); try a lower --learning-rate")
        }
        Console.note(String(format: "training: %d epochs in %.3f s", model.epochs, now() - trainingStarted))
        try SeriesCheckpoint.save(forecaster, setup: setup, task: .forecast, trainer: trainer, rng: rng, to: checkpoint)
        Console.out(
            "saved \(checkpoint); evaluate it against the baselines with: series eval --checkpoint \(checkpoint) --csv \(data.csv)\n")
    }
}
