import Foundation
import Linalg
import RNN
import RNNTraining
import SequenceData
import _ToolSupport

/// `series train --task classify`: the long table grouped into sequences, a seeded
/// hold-out, the classifier, one progress line per epoch, the checkpoint.
struct ClassifierTraining {
    let data: DataOptions
    let model: ModelOptions
    let scale: Scaler.Kind
    let checkpoint: String
    let history: String?
    let plot: String?

    func run() throws {
        let (id, label) = (data.id!, data.label!)
        let set = try ClassifierData.sequences(
            data.csv, id: id, label: label, time: data.time, features: DataOptions.list(data.features), fill: data.fill)
        guard set.classes.count >= 2 else {
            throw CLIError(
                "--label '\(label)' has one value ('\(set.classes.first ?? "")') in '\(data.csv)'; a classifier needs two or more")
        }
        let run = SeriesCheckpoint.RunSettings(
            batchSize: model.batchSize, seed: model.seed, validation: model.validation, test: model.test)
        var rng = SeededRandom(seed: model.seed)
        let split = try Self.split(set.sequences.count, run: run, rng: &rng, csv: data.csv)
        let setup = ClassificationSetup(
            set: set, id: id, label: label, time: data.time, fill: data.fill, scaling: scale, training: split.train)
        let configuration = ManyToOneModel.Configuration(
            inputSize: set.features.count, outputSize: set.classes.count, recurrent: model.recurrent, dropout: model.dropout,
            dropoutSeed: model.seed)
        let classifier = ManyToOneModel(configuration, using: &rng)
        let workers = max(1, min(model.threads ?? ComputeThreads.count, model.batchSize))
        let trainer = Trainer(
            model: classifier, optimizer: model.optimizer.make(learningRate: model.learningRate), workers: workers, clipNorm: 5)
        try train(
            set: set, setup: setup, split: split, classifier: classifier, trainer: trainer, rng: rng, run: run,
            history: TrainingHistory())
    }

    /// `--resume`: the checkpoint's classifier, preparation, split and trainer state, on the same file.
    func resume(_ path: String) throws {
        let (checkpoint, setup, run, past) = try SeriesCheckpoint.loadForResume(
            path, as: ManyToOneModel.self, setup: ClassificationSetup.self)
        let set = try ClassifierData.sequences(
            data.csv, id: setup.id, label: setup.label, time: setup.time, features: setup.features, fill: setup.fill)
        guard set.classes == setup.classes else {
            throw CLIError(
                "--csv '\(data.csv)' has the labels \(set.classes.joined(separator: ", ")); '\(path)' was trained on \(setup.classes.joined(separator: ", ")): resume with the same file"
            )
        }
        var rng = SeededRandom(seed: run.seed)
        let split = try Self.split(set.sequences.count, run: run, rng: &rng, csv: data.csv)
        let (trainer, _) = try resumedTrainer(
            checkpoint, path: path, batchSize: run.batchSize, threads: model.threads, epochs: model.epochs)
        if let state = checkpoint.training?.rngState, state.count == 4 { rng.state = state }
        Console.note("series: resuming '\(path)' after epoch \(trainer.position.epoch), to epoch \(model.epochs)")
        try train(
            set: set, setup: setup, split: split, classifier: checkpoint.model, trainer: trainer, rng: rng, run: run,
            history: past)
    }

    /// The held-out sequences: a shuffle drawn from `rng` (seeded by the run's seed), the
    /// first `validation` share for validation, the next `test` share for testing.
    static func split(
        _ count: Int, run: SeriesCheckpoint.RunSettings, rng: inout SeededRandom, csv: String
    ) throws -> (train: [Int], validation: [Int], test: Int) {
        var order = Array(0..<count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        let held = Int(Double(count) * (run.validation ?? 0)), tested = Int(Double(count) * (run.test ?? 0))
        let train = Array(order.dropFirst(held + tested))
        guard !train.isEmpty else { throw CLIError("'\(csv)' has \(count) sequences: too few to hold some out") }
        return (train, Array(order.prefix(held)), tested)
    }

    private func train(
        set: GroupedSequences, setup: ClassificationSetup, split: (train: [Int], validation: [Int], test: Int),
        classifier: ManyToOneModel, trainer: Trainer<ManyToOneModel>, rng: SeededRandom, run: SeriesCheckpoint.RunSettings,
        history past: TrainingHistory
    ) throws {
        let scaled = setup.scaled(set.sequences)
        func batches(_ indices: [Int]) throws -> [ManyToOneModel.Batch] {
            try stride(from: 0, to: indices.count, by: run.batchSize).map { start in
                let chosen = indices[start..<min(start + run.batchSize, indices.count)]
                return try ManyToOneModel.Batch(sequences: chosen.map { scaled[$0] }, labels: chosen.map { set.labels[$0] })
            }
        }
        let source = BatchList(try batches(split.train))
        let validation = split.validation.isEmpty ? nil : BatchList(try batches(split.validation))
        Console.note(
            "series: classifying '\(setup.id)' sequences by '\(setup.label)' (\(set.classes.count) classes) from \(set.features.joined(separator: ", "))"
        )
        Console.note(
            "data: \(Format.count(set.sequences.count)) sequences of '\(data.csv)': train \(split.train.count), validation \(split.validation.count), test \(split.test)"
        )
        var started = now()
        var record = past
        func save() throws {
            try SeriesCheckpoint.save(
                classifier, setup: setup, task: .classify, trainer: trainer, rng: rng, run: run, history: record, to: checkpoint)
            try record.write(history: history, plot: plot)
        }
        try trainSeries(
            trainer, on: source, epochs: model.epochs, precision: model.precision, csv: data.csv, checkpoint: checkpoint, save: save
        ) {
            event in
            guard case .epochEnd(let epoch) = event else { return }
            let train = classifier.meanLoss(over: source).loss
            record.epochs.append(
                .init(
                    epoch: epoch + 1, trainLoss: train, validationLoss: validation.map { classifier.meanLoss(over: $0).loss },
                    seconds: now() - started))
            let text =
                validation.map { v in
                    let correct = v.batches.map { b in zip(classifier.predict(b), b.labels).filter { $0 == $1 }.count }.reduce(0, +)
                    return ", validation accuracy \(String(format: "%.1f", 100 * Double(correct) / Double(split.validation.count)))%"
                } ?? ""
            Console.note(
                "epoch \(epoch + 1)/\(model.epochs): train loss \(Format.loss(train))\(text) (\(Format.duration(now() - started)))")
            started = now()
        }
        try save()
        Console.out("saved \(checkpoint); evaluate it with: series eval --checkpoint \(checkpoint) --csv \(data.csv)\n")
    }
}

/// Reading a classification table into sequences.
enum ClassifierData {
    static func sequences(
        _ path: String, id: String, label: String, time: String?, features: [String]?, fill: MissingValues
    ) throws -> GroupedSequences {
        let table = try TableLoading.load(
            path, numeric: features.map { .named($0) } ?? .allNumeric(except: Set([id, label, time].compactMap { $0 })),
            text: [id, label], time: time, groupedBy: id, fill: fill)
        guard !table.numericNames.isEmpty else {
            throw CLIError("'\(path)' has no numeric feature columns besides --id, --label and --time; name them with --features")
        }
        do {
            return try GroupedSequences(table, id: id, label: label, features: features)
        } catch {
            throw CLIError("--csv \(error)")
        }
    }
}
