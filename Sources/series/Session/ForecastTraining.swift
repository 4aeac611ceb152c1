import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
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
    /// `--history` and `--plot`.
    let history: String?
    let plot: String?
    /// When the command started (the first step's line says how long reading and
    /// preparing the data took).
    let commandStarted = now()

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
        var rng = SeededRandom(seed: model.seed)
        let run = SeriesCheckpoint.RunSettings(batchSize: model.batchSize, seed: model.seed)
        switch model.decoder {
        case .direct:
            let forecaster = ForecastModel(
                .init(
                    inputSize: setup.inputSize, horizon: horizon, targetCount: targets.count, loss: try model.forecastLoss,
                    recurrent: model.recurrent, dropout: model.dropout, dropoutSeed: model.seed),
                using: &rng)
            try train(setup: setup, table: consume table, forecaster: forecaster, trainer: newTrainer(forecaster), rng: rng, run: run)
        case .autoregressive:
            let forecaster = AutoregressiveForecastModel(
                .init(
                    inputSize: setup.inputSize, horizon: horizon, targetCount: targets.count, loss: try model.forecastLoss,
                    recurrent: model.recurrent, dropout: model.dropout, dropoutSeed: model.seed),
                using: &rng)
            try train(setup: setup, table: consume table, forecaster: forecaster, trainer: newTrainer(forecaster), rng: rng, run: run)
        }
    }

    /// A new run's trainer: `--optimizer` at `--lr`, clipping at 5, `--threads` workers.
    private func newTrainer<Model: SequenceModel>(_ forecaster: Model) -> (Trainer<Model>, workers: Int) {
        let workers = max(1, min(model.threads ?? ComputeThreads.count, model.batchSize))
        return (
            Trainer(
                model: forecaster, optimizer: model.optimizer.make(learningRate: model.learningRate), workers: workers, clipNorm: 5),
            workers
        )
    }

    /// `--resume`: the checkpoint's model, preparation and trainer state, on the same file.
    func resume(_ path: String) throws {
        let header = try? SafeTensorsFile.readHeader(path: path).metadata
        if header?["architecture"] == AutoregressiveForecastModel.Configuration.architecture {
            try resume(path, as: AutoregressiveForecastModel.self)
        } else {
            try resume(path, as: ForecastModel.self)
        }
    }

    private func resume<Model: Forecaster>(_ path: String, as type: Model.Type) throws {
        let (checkpoint, setup, run, past) = try SeriesCheckpoint.loadForResume(path, as: type, setup: ForecastSetup.self)
        let table = try ForecastEvaluation.table(data.csv, setup: setup)
        guard table.rowCount == setup.split.rowCount else {
            throw CLIError(
                "--csv '\(data.csv)' has \(table.rowCount) rows; '\(path)' was trained on \(setup.split.rowCount): resume with the same file"
            )
        }
        let (trainer, workers) = try resumedTrainer(
            checkpoint, path: path, batchSize: run.batchSize, threads: model.threads, epochs: model.epochs)
        var rng = SeededRandom(seed: 0)
        if let state = checkpoint.training?.rngState, state.count == 4 { rng.state = state }
        Console.note("series: resuming '\(path)' after epoch \(trainer.position.epoch), to epoch \(model.epochs)")
        try train(
            setup: setup, table: consume table, forecaster: checkpoint.model, trainer: (trainer, workers), rng: rng, run: run,
            history: past)
    }

    /// The epochs from the trainer's position to `--epochs`, then the checkpoint.
    private func train<Model: Forecaster>(
        setup: ForecastSetup, table: consuming CSVTable, forecaster: Model, trainer made: (Trainer<Model>, workers: Int),
        rng: SeededRandom, run: SeriesCheckpoint.RunSettings, history past: TrainingHistory = TrainingHistory()
    ) throws {
        let (trainer, workers) = made
        var record = past
        let split = setup.split, n = table.rowCount, targets = setup.targets, covariates = setup.covariates
        let horizon = setup.windows.horizon, window = setup.windows.inputLength
        let trainOrigins = setup.origins(targets: split.train)
        let spacing = table.spacing.map { ", \($0.describe(dates: table.times.first?.month != nil))" } ?? ""
        // The table's columns become the model's (no second copy of a large file's values).
        let columns = setup.modelColumns(consuming: &table)
        let validationOrigins = setup.origins(targets: split.validation)

        let source = ForecastWindowSource(
            windows: setup.windows, origins: trainOrigins, inputs: columns.inputs, targets: columns.targets,
            batchSize: run.batchSize, seed: run.seed)
        let validation =
            validationOrigins.isEmpty
            ? nil
            : ForecastWindowSource(
                windows: setup.windows, origins: validationOrigins, inputs: columns.inputs, targets: columns.targets,
                batchSize: 256, seed: 0, shuffled: false)

        Console.note(
            "series: forecasting \(targets.joined(separator: ", ")) \(horizon) step\(horizon == 1 ? "" : "s") ahead from \(window) (inputs: \((targets + covariates).joined(separator: ", ")))"
        )
        Console.note(
            "data: \(Format.count(n)) rows of '\(data.csv)'\(spacing); train \(Format.count(split.trainEnd)) rows (\(Format.count(trainOrigins.count)) windows), validation \(Format.count(split.validation.count)), test \(Format.count(split.test.count))"
        )
        Console.note(
            "model: \(Format.stack(cell: forecaster.windowStack.cell, nonlinearity: nil, numLayers: forecaster.windowStack.numLayers)), \(forecaster.windowStack.hiddenSize) hidden units\(forecaster.windowStack.isBidirectional ? ", bidirectional" : "")\(forecaster is AutoregressiveForecastModel ? ", autoregressive decoder" : ""), loss \(forecaster.forecastLoss), \(Format.count(forecaster.parameters.count)) parameters; \(workers) thread\(workers == 1 ? "" : "s"), \(model.precision.precision)"
        )
        var epochLoss = 0.0, epochSteps = 0, started = now()
        let trainingStarted = started, firstEpoch = trainer.position.epoch, firstStep = trainer.position.step
        var lastLine = now()
        func save() throws {
            try SeriesCheckpoint.save(
                forecaster, setup: setup, task: .forecast, trainer: trainer, rng: rng, run: run, history: record,
                to: checkpoint)
            try record.write(history: history, plot: plot)
        }
        try trainSeries(
            trainer, on: source, epochs: model.epochs, precision: model.precision, csv: data.csv, checkpoint: checkpoint, save: save
        ) {
            event in
            switch event {
            case .step(let result):
                epochLoss += result.loss
                epochSteps += 1
                // The first step, and in a long epoch a line every 30 s.
                if trainer.position.step == firstStep + 1 || now() - lastLine > 30 {
                    Console.note(
                        "epoch \(trainer.position.epoch + 1)/\(model.epochs): step \(Format.count(trainer.position.stepInEpoch)) of \(Format.count(source.batchesPerEpoch)), train loss \(Format.loss(epochLoss / Double(epochSteps))) (\(Format.duration(now() - commandStarted)) since the start)"
                    )
                    lastLine = now()
                }
            case .epochEnd(let epoch):
                let validationLoss = validation.map { forecaster.meanLoss(over: $0).loss }
                let validationText = validationLoss.map { ", validation loss \(Format.loss($0))" } ?? ""
                record.epochs.append(
                    .init(
                        epoch: epoch + 1, trainLoss: epochLoss / Double(max(epochSteps, 1)), validationLoss: validationLoss,
                        seconds: now() - started))
                Console.note(
                    "epoch \(epoch + 1)/\(model.epochs): train loss \(Format.loss(epochLoss / Double(max(epochSteps, 1))))\(validationText) (\(Format.duration(now() - started)))"
                )
                (epochLoss, epochSteps, started) = (0, 0, now())
            }
        }
        Console.note(String(format: "training: %d epochs in %.3f s", model.epochs - firstEpoch, now() - trainingStarted))
        try save()
        Console.out(
            "saved \(checkpoint); evaluate it against the baselines with: series eval --checkpoint \(checkpoint) --csv \(data.csv)\n")
    }
}
