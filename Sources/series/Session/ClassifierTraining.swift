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
        var rng = SeededRandom(seed: model.seed)
        var order = Array(set.sequences.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        let held = Int(Double(order.count) * model.validation)
        let trainIndices = Array(order.dropFirst(held + Int(Double(order.count) * model.test)))
        let validationIndices = Array(order.prefix(held))
        guard !trainIndices.isEmpty else { throw CLIError("'\(data.csv)' has \(order.count) sequences: too few to hold some out") }
        let setup = ClassificationSetup(
            set: set, id: id, label: label, time: data.time, fill: data.fill, scaling: scale, training: trainIndices)
        let scaled = setup.scaled(set.sequences)
        func batches(_ indices: [Int]) throws -> [ManyToOneModel.Batch] {
            try stride(from: 0, to: indices.count, by: model.batchSize).map { start in
                let chosen = indices[start..<min(start + model.batchSize, indices.count)]
                return try ManyToOneModel.Batch(sequences: chosen.map { scaled[$0] }, labels: chosen.map { set.labels[$0] })
            }
        }
        let configuration = ManyToOneModel.Configuration(
            inputSize: set.features.count, outputSize: set.classes.count, recurrent: model.recurrent, dropout: model.dropout,
            dropoutSeed: model.seed)
        let classifier = ManyToOneModel(configuration, using: &rng)
        let workers = max(1, min(model.threads ?? ComputeThreads.count, model.batchSize))
        let trainer = Trainer(model: classifier, optimizer: Adam(learningRate: model.learningRate), workers: workers, clipNorm: 5)
        let source = BatchList(try batches(trainIndices))
        let validation = validationIndices.isEmpty ? nil : BatchList(try batches(validationIndices))
        Console.note(
            "series: classifying '\(id)' sequences by '\(label)' (\(set.classes.count) classes) from \(set.features.joined(separator: ", "))"
        )
        Console.note(
            "data: \(Format.count(set.sequences.count)) sequences of '\(data.csv)': train \(trainIndices.count), validation \(validationIndices.count), test \(order.count - trainIndices.count - validationIndices.count)"
        )
        var started = now()
        var record = TrainingHistory()
        do {
            try trainer.train(on: source, for: .epochs(model.epochs)) { event in
                guard case .epochEnd(let epoch) = event else { return }
                let train = classifier.meanLoss(over: source).loss
                record.epochs.append(
                    .init(
                        epoch: epoch + 1, trainLoss: train, validationLoss: validation.map { classifier.meanLoss(over: $0).loss },
                        seconds: now() - started))
                let text =
                    validation.map { v in
                        let correct = v.batches.map { b in zip(classifier.predict(b), b.labels).filter { $0 == $1 }.count }.reduce(0, +)
                        return ", validation accuracy \(String(format: "%.1f", 100 * Double(correct) / Double(validationIndices.count)))%"
                    } ?? ""
                Console.note(
                    "epoch \(epoch + 1)/\(model.epochs): train loss \(Format.loss(train))\(text) (\(Format.duration(now() - started)))")
                started = now()
            }
        } catch let error as TrainingError {
            throw CLIError("training stopped: \(error); try a lower --learning-rate")
        }
        try SeriesCheckpoint.save(
            classifier, setup: setup, task: .classify, trainer: trainer, rng: rng,
            run: .init(batchSize: model.batchSize, seed: model.seed), history: record, to: checkpoint)
        try record.write(history: history, plot: plot)
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
