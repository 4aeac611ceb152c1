import Foundation
import Linalg
import RNN
import RNNTraining
import SequenceData
import _ToolSupport

/// `seq2seq train`: the pairs split and tokenized, the model, one progress line per epoch
/// (train and validation loss, validation exact match by greedy decoding), the checkpoint.
struct PairTraining {
    let options: Seq2Seq.Train

    /// A new run from the options.
    func start() throws {
        let o = options
        let pairs = try PairData.read(o.pairs, option: "--pairs")
        let split = try PairData.split(pairs, fraction: o.valFraction, seed: o.seed, path: o.pairs)
        let vocabularies = Seq2SeqCheckpoint.Vocabularies(
            source: SideVocabulary(
                unit: o.sourceUnit, counting: split.train.map { pairs.sources[$0] }, specials: SideVocabulary.sourceSpecials,
                limit: o.sourceVocabularyLimit),
            target: SideVocabulary(
                unit: o.targetUnit, counting: split.train.map { pairs.targets[$0] }, specials: SideVocabulary.targetSpecials,
                limit: o.targetVocabularyLimit))
        let encoded = Encoded(pairs, vocabularies)
        let run = Seq2SeqCheckpoint.RunSettings(
            batchSize: o.batchSize, seed: o.seed, validationFraction: o.valFraction,
            maxSourceLength: split.train.map { encoded.sources[$0].count }.max()!,
            maxTargetLength: split.train.map { encoded.targets[$0].count }.max()!)
        let target = vocabularies.target
        let configuration = EncoderDecoderModel.Configuration(
            sourceVocabularySize: vocabularies.source.count, targetVocabularySize: target.count,
            startToken: target.token(SideVocabulary.start)!, endToken: target.token(SideVocabulary.end)!,
            recurrent: RecurrentConfiguration(cell: o.cell, hiddenSize: o.hiddenSize, numLayers: o.numLayers),
            bidirectionalEncoder: o.bidirectionalEncoder, attention: o.attention.score)
        if let problem = configuration.problem { throw CLIError("the model cannot be built: \(problem)") }
        var rng = SeededRandom(seed: o.seed)
        let model = EncoderDecoderModel(configuration, using: &rng)
        let workers = max(1, min(o.threads ?? ComputeThreads.count, o.batchSize))
        let trainer = Trainer(model: model, optimizer: o.optimizer.make(learningRate: o.learningRate), workers: workers, clipNorm: 5)
        if o.schedule == .cosine {
            let steps = o.epochs * ((split.train.count + o.batchSize - 1) / o.batchSize)
            trainer.schedule = LearningRateSchedule(
                base: Double(o.learningRate), kind: .cosine(warmupSteps: 0, totalSteps: steps, minimum: o.lrMin))
        }
        var history = TrainingHistory()
        history.title = "seq2seq train: loss per epoch"
        history.lossLabel = "cross-entropy (nats per target token)"
        try train(
            model: model, trainer: trainer, vocabularies: vocabularies, encoded: encoded, split: split, run: run, rng: rng,
            history: history)
    }

    /// `--resume`: the checkpoint's model, vocabularies, split and trainer state, on the same file.
    func resume(_ path: String) throws {
        let o = options
        let saved = try Seq2SeqCheckpoint(path: path, option: "--resume")
        guard saved.checkpoint.optimizer != nil, saved.checkpoint.training != nil else {
            throw CLIError("--resume '\(path)' holds no training state to continue from")
        }
        let pairs = try PairData.read(o.pairs, option: "--pairs")
        let split = try PairData.split(pairs, fraction: saved.run.validationFraction, seed: saved.run.seed, path: o.pairs)
        let encoded = Encoded(pairs, saved.vocabularies)
        guard split.train.map({ encoded.sources[$0].count }).max() == saved.run.maxSourceLength else {
            throw CLIError(
                "--pairs '\(o.pairs)' is not the file '\(path)' was trained on (its training sources differ); resume with the same file")
        }
        let (trainer, _) = try resumedTrainer(
            saved.checkpoint, path: path, batchSize: saved.run.batchSize, threads: o.threads, epochs: o.epochs)
        var rng = SeededRandom(seed: saved.run.seed)
        if let state = saved.checkpoint.training?.rngState, state.count == 4 { rng.state = state }
        Console.note("seq2seq: resuming '\(path)' after epoch \(trainer.position.epoch), to epoch \(o.epochs)")
        try train(
            model: saved.model, trainer: trainer, vocabularies: saved.vocabularies, encoded: encoded, split: split, run: saved.run,
            rng: rng, history: saved.history)
    }

    /// The pairs as tokens (targets without the end token).
    struct Encoded {
        var sources: [[Int32]]
        var targets: [[Int32]]

        init(_ pairs: TextPairs, _ vocabularies: Seq2SeqCheckpoint.Vocabularies) {
            sources = pairs.sources.map(vocabularies.source.encode)
            targets = pairs.targets.map(vocabularies.target.encode)
        }
    }

    private func train(
        model: EncoderDecoderModel, trainer: Trainer<EncoderDecoderModel>, vocabularies: Seq2SeqCheckpoint.Vocabularies,
        encoded: Encoded, split: (train: [Int], validation: [Int]), run: Seq2SeqCheckpoint.RunSettings, rng: SeededRandom,
        history past: TrainingHistory
    ) throws {
        let o = options
        let end = model.endToken
        let source = PairBatches(
            sources: split.train.map { encoded.sources[$0] }, targets: split.train.map { encoded.targets[$0] }, endToken: end,
            batchSize: run.batchSize, seed: run.seed)
        let validation =
            split.validation.isEmpty
            ? nil
            : PairBatches(
                sources: split.validation.map { encoded.sources[$0] }, targets: split.validation.map { encoded.targets[$0] },
                endToken: end, batchSize: 256, seed: 0, shuffles: false)
        let c = model.configuration
        Console.note(
            "seq2seq: \(Format.count(split.train.count)) training and \(Format.count(split.validation.count)) validation pairs of '\(o.pairs)'; vocabularies: \(vocabularies.source.learnedCount) source \(vocabularies.source.unit.tokenName)s, \(vocabularies.target.learnedCount) target \(vocabularies.target.unit.tokenName)s (+ specials)"
        )
        Console.note(
            "model: \(c.summary), \(Format.count(c.parameterCount)) parameters; \(trainer.workerCount) thread\(trainer.workerCount == 1 ? "" : "s"), batch \(run.batchSize)"
        )
        var record = past
        func save() throws {
            try Seq2SeqCheckpoint.save(
                model, vocabularies: vocabularies, run: run, trainer: trainer, rng: rng, history: record, to: o.checkpoint)
            try record.write(history: o.history, plot: o.plot)
        }
        var started = now(), total = 0.0, counted = 0
        try trainStoppably(
            trainer, on: source, epochs: o.epochs, tool: "seq2seq", notes: .seq2seq,
            continueCommand: "seq2seq train --pairs \(o.pairs) --resume \(o.checkpoint) --epochs \(o.epochs) --checkpoint \(o.checkpoint)",
            checkpoint: o.checkpoint, save: save
        ) { event in
            switch event {
            case .step(let step):
                total += step.loss * Double(step.predictions)
                counted += step.predictions
            case .epochEnd(let epoch):
                let trainLoss = total / Double(max(1, counted))
                let validationLoss = validation.map { model.meanLoss(over: $0).loss }
                let exact = validation.map { Self.exactMatch(model, $0) }
                record.epochs.append(
                    .init(epoch: epoch + 1, trainLoss: trainLoss, validationLoss: validationLoss, seconds: now() - started))
                let validationText =
                    validationLoss.map { ", validation loss \(Format.loss($0)), exact match \(String(format: "%.1f", 100 * exact!))%" }
                    ?? ""
                Console.note(
                    "epoch \(epoch + 1)/\(o.epochs): train loss \(Format.loss(trainLoss))\(validationText) (\(Format.duration(now() - started)))"
                )
                (started, total, counted) = (now(), 0, 0)
            }
        }
        try save()
        Console.out(
            "saved \(o.checkpoint); translate with: seq2seq translate --checkpoint \(o.checkpoint), or evaluate: seq2seq eval --checkpoint \(o.checkpoint) --pairs TEST\n"
        )
    }

    /// The share of `pairs` whose greedy translation is the target, token for token.
    static func exactMatch(_ model: EncoderDecoderModel, _ pairs: PairBatches) -> Double {
        var right = 0
        for start in stride(from: 0, to: pairs.sources.count, by: 256) {
            let range = start..<min(start + 256, pairs.sources.count)
            let longest = pairs.targets[range].map(\.count).max()!
            let outputs = model.translateGreedily(Array(pairs.sources[range]), maxLength: longest + 1)
            for (output, target) in zip(outputs, pairs.targets[range]) where output + [model.endToken] == target { right += 1 }
        }
        return Double(right) / Double(pairs.sources.count)
    }
}

/// Seconds on a monotonic clock.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
