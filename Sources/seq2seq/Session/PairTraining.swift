import Foundation
import Linalg
import RNN
import RNNDistributed
import RNNTraining
import SequenceData
import _ToolSupport

/// `seq2seq train`: the pairs split and tokenized, the model, one progress line per epoch
/// (train and validation loss, validation exact match by greedy decoding), the checkpoint.
/// With a `cluster` (`--distributed`), this process is one rank of N.
struct PairTraining {
    let options: Seq2Seq.Train
    let cluster: PairCluster?

    var isRoot: Bool { cluster?.isRoot ?? true }

    /// Everything a run needs, from the options or from a checkpoint.
    struct Prepared {
        var model: EncoderDecoderModel
        var trainer: Trainer<EncoderDecoderModel>
        var vocabularies: Seq2SeqCheckpoint.Vocabularies
        var encoded: Encoded
        var split: (train: [Int], validation: [Int])
        var run: Seq2SeqCheckpoint.RunSettings
        var rng: SeededRandom
        var history: TrainingHistory
    }

    /// Prepares (on every rank, agreeing on failure) and trains.
    func run() throws {
        guard let cluster else { return try train(try prepare()) }
        var prepared = try cluster.agree { try prepare() }
        do {
            try cluster.synchronize(prepared.model, rng: &prepared.rng)
            try train(prepared)
        } catch let interrupted as Interrupted {
            cluster.world.finish()
            throw interrupted
        } catch {
            cluster.fail(error)
        }
        cluster.world.finish()
    }

    private func prepare() throws -> Prepared {
        if let resume = options.resume { return try prepareResume(resume) }
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
        let encoded = try Encoded(pairs, vocabularies, path: o.pairs)
        let run = Seq2SeqCheckpoint.RunSettings(
            batchSize: o.batchSize, seed: o.seed, validationFraction: o.valFraction,
            maxSourceLength: split.train.map { encoded.sources[$0].count }.max()!,
            maxTargetLength: split.train.map { encoded.targets[$0].count }.max()!, fullBatches: cluster != nil)
        let target = vocabularies.target
        let configuration = EncoderDecoderModel.Configuration(
            sourceVocabularySize: vocabularies.source.count, targetVocabularySize: target.count,
            startToken: target.token(SideVocabulary.start)!, endToken: target.token(SideVocabulary.end)!,
            recurrent: RecurrentConfiguration(cell: o.cell, hiddenSize: o.hiddenSize, numLayers: o.numLayers),
            bidirectionalEncoder: o.bidirectionalEncoder, attention: o.attention.score, inputFeeding: o.inputFeeding)
        if let problem = configuration.problem { throw CLIError("the model cannot be built: \(problem)") }
        try checkMemory(configuration, workers: try workers(run))
        var rng = SeededRandom(seed: o.seed)
        let model = EncoderDecoderModel(configuration, using: &rng)
        let trainer = Trainer(
            model: model, optimizer: o.optimizer.make(learningRate: o.learningRate), workers: try workers(run), clipNorm: 5)
        if o.schedule == .cosine {
            let steps = o.epochs * Self.batches(split.train.count, run)
            trainer.schedule = LearningRateSchedule(
                base: Double(o.learningRate), kind: .cosine(warmupSteps: 0, totalSteps: steps, minimum: o.lrMin))
        }
        var history = TrainingHistory()
        history.title = "seq2seq train: loss per epoch"
        history.lossLabel = "cross-entropy (nats per target token)"
        try checkBatches(split.train.count, run)
        return Prepared(
            model: model, trainer: trainer, vocabularies: vocabularies, encoded: encoded, split: split, run: run, rng: rng,
            history: history)
    }

    /// `--resume`: the checkpoint's model, vocabularies, split and trainer state, on the same file.
    private func prepareResume(_ path: String) throws -> Prepared {
        let o = options
        let saved = try Seq2SeqCheckpoint(path: path, option: "--resume")
        guard saved.checkpoint.optimizer != nil, saved.checkpoint.training != nil else {
            throw CLIError("--resume '\(path)' holds no training state to continue from")
        }
        if cluster != nil && saved.run.fullBatches != true {
            throw CLIError(
                "--resume '\(path)' was trained in one process, whose epochs end with a partial batch that ranks cannot share; resume it without --distributed"
            )
        }
        let pairs = try PairData.read(o.pairs, option: "--pairs")
        let split = try PairData.split(pairs, fraction: saved.run.validationFraction, seed: saved.run.seed, path: o.pairs)
        let encoded = try Encoded(pairs, saved.vocabularies, path: o.pairs)
        guard split.train.map({ encoded.sources[$0].count }).max() == saved.run.maxSourceLength else {
            throw CLIError(
                "--pairs '\(o.pairs)' is not the file '\(path)' was trained on (its training sources differ); resume with the same file")
        }
        try checkBatches(split.train.count, saved.run)
        let trainer: Trainer<EncoderDecoderModel>
        do {
            trainer = try Trainer(resuming: saved.checkpoint, workers: try workers(saved.run))
        } catch {
            throw CLIError("--resume '\(path)': \(error)")
        }
        guard trainer.position.epoch < o.epochs else {
            throw CLIError("--resume '\(path)' has trained \(trainer.position.epoch) epochs already; give --epochs above that")
        }
        var rng = SeededRandom(seed: saved.run.seed)
        if let state = saved.checkpoint.training?.rngState, state.count == 4 { rng.state = state }
        if isRoot { Console.note("seq2seq: resuming '\(path)' after epoch \(trainer.position.epoch), to epoch \(o.epochs)") }
        return Prepared(
            model: saved.model, trainer: trainer, vocabularies: saved.vocabularies, encoded: encoded, split: split,
            run: saved.run, rng: rng, history: saved.history)
    }

    /// Threads of this process's trainer: `--threads` (default: one per core), at most one
    /// per pair of its share of a batch.
    private func workers(_ run: Seq2SeqCheckpoint.RunSettings) throws -> Int {
        let pairs = try cluster?.share(batchSize: run.batchSize).sequences.count ?? run.batchSize
        return max(1, min(options.threads ?? ComputeThreads.count, pairs))
    }

    /// Refuses a model whose parameters, gradients, Adam's moments and the workers'
    /// replicas (4 bytes each), with each replica's bf16 copies in bf16, would not fit in
    /// 80% of the memory this process may still use.
    private func checkMemory(_ configuration: EncoderDecoderModel.Configuration, workers: Int) throws {
        let copies = configuration.precisionCopyFloats(options.precisionOptions.precision) * Double(workers)
        let bytes = (Double(configuration.parameterCount) * Double(4 + 2 * max(0, workers - 1)) + copies) * 4
        try MemoryBudget.require(
            bytes, "the model of \(Format.count(configuration.parameterCount)) parameters",
            detail: " for its weights, gradients and optimizer state", hint: "give a smaller --hidden-size or --num-layers")
    }

    /// Batches per epoch of `count` training pairs.
    static func batches(_ count: Int, _ run: Seq2SeqCheckpoint.RunSettings) -> Int {
        run.fullBatches == true ? count / run.batchSize : (count + run.batchSize - 1) / run.batchSize
    }

    private func checkBatches(_ count: Int, _ run: Seq2SeqCheckpoint.RunSettings) throws {
        if run.fullBatches == true && count < run.batchSize {
            throw CLIError(
                "--distributed trains whole batches of \(run.batchSize) pairs, and the training split has \(count); give a smaller --batch-size"
            )
        }
    }

    /// The pairs as tokens (targets without the end token).
    struct Encoded {
        var sources: [[Int32]]
        var targets: [[Int32]]

        /// - Throws: for a side with no token (words: only spaces and marks of no word).
        init(_ pairs: TextPairs, _ vocabularies: Seq2SeqCheckpoint.Vocabularies, path: String) throws {
            (sources, targets) = try PairData.encode(pairs, vocabularies.source, vocabularies.target, path: path)
        }
    }

    private func train(_ prepared: Prepared) throws {
        let o = options
        let (model, trainer, vocabularies, split, run) = (
            prepared.model, prepared.trainer, prepared.vocabularies, prepared.split, prepared.run
        )
        let encoded = prepared.encoded, end = model.endToken
        try o.precisionOptions.apply(to: model)
        let pairs = PairBatches(
            sources: split.train.map { encoded.sources[$0] }, targets: split.train.map { encoded.targets[$0] }, endToken: end,
            batchSize: run.batchSize, seed: run.seed, fullBatchesOnly: run.fullBatches == true)
        let validation =
            split.validation.isEmpty
            ? nil
            : PairBatches(
                sources: split.validation.map { encoded.sources[$0] }, targets: split.validation.map { encoded.targets[$0] },
                endToken: end, batchSize: 256, seed: 0, shuffles: false)
        if isRoot {
            let c = model.configuration
            Console.note(
                "seq2seq: \(Format.count(split.train.count)) training and \(Format.count(split.validation.count)) validation pairs of '\(o.pairs)'; vocabularies: \(vocabularies.source.learnedCount) source \(vocabularies.source.unit.tokenName)s, \(vocabularies.target.learnedCount) target \(vocabularies.target.unit.tokenName)s (+ specials)"
            )
            Console.note(
                "model: \(c.summary), \(Format.count(c.parameterCount)) parameters; \(trainer.workerCount) thread\(trainer.workerCount == 1 ? "" : "s"), batch \(run.batchSize), \(model.precision)"
            )
            if let cluster { Console.note("distributed: \(cluster.summary(batchSize: run.batchSize))") }
        }
        let rng = prepared.rng
        func save(_ history: TrainingHistory) throws {
            guard isRoot else { return }
            try Seq2SeqCheckpoint.save(
                model, vocabularies: vocabularies, run: run, trainer: trainer, rng: rng, history: history, to: o.checkpoint)
            try history.write(history: o.output.history, plot: o.output.plot)
        }
        let history: TrainingHistory
        if let cluster {
            trainer.gradientReducer = cluster.reducer
            let source = RankBatchSource(pairs, share: try cluster.share(batchSize: run.batchSize), stateBlocks: 0)
            history = try train(trainer, on: source, validation: validation, history: prepared.history, save: save)
        } else {
            history = try train(trainer, on: pairs, validation: validation, history: prepared.history, save: save)
        }
        try save(history)
        if isRoot {
            Console.out(
                "saved \(o.checkpoint); translate with: seq2seq translate --checkpoint \(o.checkpoint), or evaluate: seq2seq eval --checkpoint \(o.checkpoint) --pairs TEST\n"
            )
        }
    }

    /// The epochs to `--epochs`, a progress line after each (rank 0's); returns `history`
    /// with them. `save` writes the checkpoint with a history (on a stop too).
    private func train<Source: BatchSource>(
        _ trainer: Trainer<EncoderDecoderModel>, on source: Source, validation: PairBatches?, history: TrainingHistory,
        save: (TrainingHistory) throws -> Void
    ) throws -> TrainingHistory where Source.Batch == EncoderDecoderModel.Batch {
        let o = options, model = trainer.model
        var started = now(), total = 0.0, counted = 0
        var epochs = history
        try trainStoppably(
            trainer, on: source, epochs: o.epochs, tool: "seq2seq", notes: .seq2seq,
            continueCommand:
                "\(cluster == nil ? "" : "mpirun -np \(cluster!.world.size) ")seq2seq train --pairs \(o.pairs) --resume \(o.checkpoint) --epochs \(o.epochs) --checkpoint \(o.checkpoint)\(cluster == nil ? "" : " --distributed")",
            checkpoint: o.checkpoint, stopRequested: cluster.map { c in { c.reducer.stopRequested } }, quiet: !isRoot,
            save: { try save(epochs) },
            onEvent: { event in
                switch event {
                case .step(let step):
                    total += step.loss * Double(step.predictions)
                    counted += step.predictions
                case .epochEnd(let epoch):
                    let trainLoss = total / Double(max(1, counted))
                    let validationLoss = try validation.map { v in try cluster?.meanLoss(model, over: v) ?? model.meanLoss(over: v).loss }
                    epochs.epochs.append(
                        .init(epoch: epoch + 1, trainLoss: trainLoss, validationLoss: validationLoss, seconds: now() - started))
                    if isRoot {
                        let exact = validation.map { Self.exactMatch(model, $0) }
                        let validationText =
                            validationLoss.map {
                                ", validation loss \(Format.loss($0)), exact match \(String(format: "%.1f", 100 * exact!))%"
                            }
                            ?? ""
                        Console.note(
                            "epoch \(epoch + 1)/\(o.epochs): train loss \(Format.loss(trainLoss))\(validationText) (\(Format.duration(now() - started)))"
                        )
                    }
                    (started, total, counted) = (now(), 0, 0)
                }
            })
        return epochs
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
