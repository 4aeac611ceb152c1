import Foundation
import Linalg
import RNN
import RNNDistributed
import RNNTraining
import _ToolSupport

/// A `--data` training run: the char-rnn scheme (the text as `B` parallel streams,
/// truncated BPTT over chunks of `T` steps with the hidden state carried between chunks,
/// the state reset at every epoch), validation after every epoch, checkpoints, history,
/// samples, Ctrl-C and divergence handling.
///
/// Everything that decides the next step — weights, optimizer state, step/epoch/chunk
/// counters, carried hidden state and random state — is in the checkpoint, so a resumed
/// run continues bit for bit like an uninterrupted one.
final class TrainingSession {
    let config: TrainingConfiguration
    let corpus: TextCorpus
    let train: TokenStreams
    let validation: TokenStreams?
    let model: ManyToManyModel
    /// Trains `model`, each batch split across worker threads when
    /// `BatchSplit.recommendedWorkers` says the model profits (else one worker: the model
    /// trains itself, the GEMM library's threads inside each product). Its position and
    /// carried state are the run's.
    let trainer: Trainer<ManyToManyModel>
    /// The thread count training was given (`--threads` or the default, one per core).
    let threads: Int
    var vocabulary: TextVocabulary { corpus.vocabulary }
    var rng: SeededRandom

    // Position (what the next step does), the trainer's.
    var step: Int { trainer.position.step }
    var epoch: Int { trainer.position.epoch }
    var stepInEpoch: Int { trainer.position.stepInEpoch }

    var history = History()
    /// With `--track-gradients`: the epoch's gradient statistics so far.
    let gradientTracker: GradientTracker?
    var bestValidationLoss: Double?
    /// Epochs in a row whose validation loss was not the best so far (`--early-stop`).
    var epochsWithoutImprovement = 0
    var lastSavedStep: Int?
    let staticMetadata: [String: String]
    var progress: ProgressReporter!
    /// With `--distributed`: this rank's part in the run (nil: one process).
    let cluster: SessionCluster?
    /// What this process trains on: its share of `train`'s streams (all of them without `cluster`).
    let trainingSource: RankBatchSource<TokenStreams>
    /// Whether this process prints and writes files (rank 0, or the only process).
    var isRoot: Bool { cluster?.isRoot ?? true }

    init(_ config: TrainingConfiguration, cluster: SessionCluster? = nil) throws {
        self.config = config
        self.cluster = cluster
        let resumed = config.resumed
        let hint = " (a resumed model can only read the characters it was trained on; train a new model without --resume)"
        let corpus = try Corpus.load(
            path: config.dataPath, option: "--data", unit: config.unit, vocabulary: resumed?.vocabulary,
            vocabLimit: config.vocabLimit, hint: hint)
        self.corpus = corpus
        let name = corpus.vocabulary.unit.tokenName

        // Train on the head, validate on the tail (slices: shared, not copied).
        let n = corpus.tokens.count
        let (trainTokens, valTokens) = corpus.split(validationFraction: config.valFraction)
        let held = valTokens.count
        guard let train = TokenStreams(tokens: trainTokens, batchSize: config.batchSize, seqLength: config.seqLength, partialChunks: false)
        else {
            let perStream = trainTokens.count / config.batchSize
            throw CLIError(
                "'\(config.dataPath)' is too short: its \(Format.plural(trainTokens.count, "training \(name)")) give \(Format.count(perStream)) per stream for --batch-size \(config.batchSize), but each stream needs at least --seq-length + 1 = \(config.seqLength + 1); use a longer text or a smaller --batch-size or --seq-length"
            )
        }
        if config.valFraction > 0 && held < 2 {
            throw CLIError(
                "--val-fraction \(config.valFraction) of the \(Format.plural(n, name)) in '\(config.dataPath)' holds out \(held), but validation needs at least 2; use a longer text, a larger --val-fraction, or --val-fraction 0"
            )
        }
        self.train = train
        if held >= 2 {
            let streams = min(config.batchSize, max(1, (held - 1) / config.seqLength))
            validation = TokenStreams(tokens: valTokens, batchSize: streams, seqLength: config.seqLength, partialChunks: true)
        } else {
            validation = nil
        }

        // Model, optimizer, random state and position: fresh or from the checkpoint.
        var rng = SeededRandom(seed: config.seed)
        let V = corpus.vocabulary.count
        let configuration = ManyToManyModel.Configuration(
            inputSize: V, outputSize: V,
            recurrent: RecurrentConfiguration(
                cell: config.cell, hiddenSize: config.hiddenSize, numLayers: config.numLayers,
                nonlinearity: config.nonlinearity),
            embeddingSize: config.embeddingSize, tiedWeights: config.tiedWeights, dropout: config.dropout, dropoutSeed: config.seed)
        try Self.checkMemory(config: config, model: configuration, validationStreams: validation?.batchSize ?? 0)
        let model: ManyToManyModel, optimizer: Optimizer
        var training: TrainingState? = nil
        if let resumed {
            model = resumed.model
            if let state = resumed.optimizer, state.name == config.optimizer.rawValue {
                do {
                    optimizer = try state.makeOptimizer(for: model.parameters)
                } catch {
                    throw CLIError("--resume checkpoint '\(config.resumedPath!)': \(error)")
                }
            } else {
                optimizer = config.optimizer.make(learningRate: config.learningRate)
            }
            if var state = resumed.training, resumed.optimizer != nil {
                rng.state = state.rngState
                let stateSize = model.rnn.stateSize(batchSize: config.batchSize)
                if let h = state.hiddenState, h.count != stateSize {
                    throw CLIError(
                        "--resume checkpoint '\(config.resumedPath!)' carries a hidden state of \(h.count) values, but a \(Format.stack(cell: config.cell, nonlinearity: config.nonlinearity, numLayers: config.numLayers)) with \(config.hiddenSize) hidden units and batch size \(config.batchSize) carries \(stateSize); the file is damaged"
                    )
                }
                if resumed.metadata[TrainingConfiguration.Key.dataFingerprint] != corpus.fingerprint {
                    Console.warning(
                        "'\(config.dataPath)' is not the text the checkpoint was trained on; continuing with epoch \(state.epoch + 1) from its start"
                    )
                    state.stepInEpoch = 0
                    state.hiddenState = nil
                }
                if state.stepInEpoch >= train.chunkCount { state.stepInEpoch = 0; state.hiddenState = nil }
                training = state
                history = History(tensors: resumed.tensors)
                if let text = resumed.metadata[TrainingConfiguration.Key.bestValidationLoss] { bestValidationLoss = Double(text) }
                if let text = resumed.metadata[TrainingConfiguration.Key.epochsWithoutImprovement], let n = Int(text), n >= 0 {
                    epochsWithoutImprovement = n
                }
            } else if !config.quiet {
                Console.note("note: '\(config.resumedPath!)' has weights but no training state; starting a new run from its weights")
            }
        } else {
            model = ManyToManyModel(configuration, initialization: config.initialization, using: &rng)
            optimizer = config.optimizer.make(learningRate: config.learningRate)
        }
        try model.setPrecision(config.precision)  // validated with the options
        self.model = model
        self.rng = rng
        trainingSource = RankBatchSource(
            train, share: cluster?.share ?? RankShare(rank: 0, ranks: 1, batchSize: config.batchSize),
            stateBlocks: model.stateBlocks)
        threads = ComputeThreads.count
        let workers = BatchSplit.recommendedWorkers(
            threads: threads, configuration: configuration,
            batchSize: cluster?.share.sequences.count ?? config.batchSize,
            steps: config.seqLength)
        optimizer.weightDecay = config.weightDecay  // the moments come from the checkpoint, the setting from here
        trainer = Trainer(model: model, optimizer: optimizer, workers: workers, clipNorm: config.clip)
        trainer.gradientReducer = cluster?.reducer
        let total = config.maxSteps ?? config.epochs! * train.chunkCount
        // The schedule of the options (a resumed run may change them); a plateau continues
        // from the checkpoint's state: the training state's schedule, or in files written
        // before it was saved there, charrnn's own lr_plateau_* keys.
        var schedule = LearningRateSchedule(base: Double(config.learningRate), kind: config.scheduleKind(totalSteps: total))
        if let resumed, let training = resumed.training, case .plateau = schedule.kind {
            if let saved = training.schedule?.state {
                schedule.restore(best: saved.best, badEpochs: saved.badEpochs, rate: saved.rate)
            } else if let rate = resumed.metadata[TrainingConfiguration.Key.plateauRate].flatMap(Double.init), rate.isFinite, rate > 0 {
                let bad = resumed.metadata[TrainingConfiguration.Key.plateauBadEpochs].flatMap(Int.init) ?? 0
                let best = resumed.metadata[TrainingConfiguration.Key.plateauBest].flatMap(Double.init)
                schedule.restore(best: best?.isFinite == true ? best : nil, badEpochs: max(0, bad), rate: rate)
            }
        }
        trainer.schedule = schedule
        if config.trackGradients {
            let tracker = GradientTracker(model.parameters)
            trainer.gradientObserver = { tracker.observe($0) }
            if let training, training.stepInEpoch > 0, let resumed { tracker.restore(from: resumed.tensors) }
            gradientTracker = tracker
        } else {
            gradientTracker = nil
        }
        if let training {
            do { try trainer.resume(from: cluster.map { $0.localState(training, blocks: model.stateBlocks) } ?? training) } catch {
                throw CLIError("--resume checkpoint '\(config.resumedPath!)': \(error); the file is damaged")
            }
        }
        staticMetadata = config.metadata(fingerprint: corpus.fingerprint)
            .merging(cluster.map { [SessionCluster.ranksKey: String($0.world.size)] } ?? [:]) { $1 }
        if let epochs = config.epochs, epoch >= epochs {
            throw CLIError(
                "the checkpoint has already trained \(Format.plural(epoch, "epoch")) (step \(Format.count(step))), so --epochs \(epochs) leaves nothing to do; pass a larger --epochs, e.g. --epochs \(epoch + 10)"
            )
        }
        if let maxSteps = config.maxSteps, step >= maxSteps {
            throw CLIError(
                "the checkpoint is already at step \(Format.count(step)), so --steps \(maxSteps) leaves nothing to do; pass a larger --steps (a total, counting the checkpoint's steps)"
            )
        }
    }

    /// Refuses a model whose parameters (with gradients and optimizer moments) and
    /// activations would not fit in the memory the process may use (`MemoryBudget`:
    /// physical memory, `ulimit -v` / `-d`, the cgroup's limit), before allocating any of it.
    static func checkMemory(config: TrainingConfiguration, model: ManyToManyModel.Configuration, validationStreams: Int) throws {
        // The parameters with their gradients and two optimizer moments, and the workspaces
        // the model keeps for the backward pass (the model's own counts).
        let parameters = Double(model.parameterCount)
        let rows = config.seqLength * max(config.batchSize, validationStreams)
        let bytes =
            4
            * (parameters * 4 + model.workspaceFloats(rows: rows, batchSize: config.batchSize, precision: config.precision)
                + model.precisionCopyFloats(config.precision))
        try MemoryBudget.require(
            bytes, "this model",
            detail:
                " (\(Format.count(Int(parameters))) parameters, \(Format.count(config.seqLength * config.batchSize)) predictions per step)",
            hint: "make --hidden-size, --num-layers, --batch-size or --seq-length smaller")
    }

    /// The step number training stops at.
    var targetStep: Int {
        if let maxSteps = config.maxSteps { return maxSteps }
        return config.epochs! * train.chunkCount
    }

    var isFinished: Bool {
        if let maxSteps = config.maxSteps { return step >= maxSteps }
        return epoch >= config.epochs!
    }

    // MARK: - Running

    func run() throws {
        let mode: ProgressReporter.Mode = config.quiet ? .quiet : (Console.stderrIsTerminal ? .terminal : .lines)
        progress = ProgressReporter(
            mode: mode, startStep: step, targetStep: targetStep, targetEpochs: config.epochs,
            stepsPerEpoch: train.chunkCount)
        progress.unitName = vocabulary.unit.shortName
        if let last = history.rows.last(where: { $0.validationLoss != nil })?.validationLoss {
            progress.lastValidationLoss = Double(last)
        }
        printHeader()
        InterruptHandler.install(
            message:
                "\ncharrnn: Ctrl-C: finishing the current step and saving the checkpoint (press Ctrl-C again to quit at once)\n",
            stopMessages: (
                "\ncharrnn: SIGTERM: finishing the current step and saving the checkpoint\n",
                "\ncharrnn: SIGUSR1: finishing the current step and saving the checkpoint\n"
            ))
        defer { InterruptHandler.uninstall() }

        let started = now()
        let startStep = step
        var epochStarted = now(), epochTokens = 0, epochSeconds = 0.0
        let goal: TrainingGoal = config.maxSteps.map { .steps($0) } ?? .epochs(config.epochs!)
        do {
            try trainer.train(on: trainingSource, for: goal) { event in
                switch event {
                case .step(let result):
                    if stepInEpoch == 1 { epochStarted = now() - result.seconds; epochTokens = 0; epochSeconds = 0 }
                    epochTokens += result.predictions
                    epochSeconds += result.seconds
                    let clipped = config.clip > 0 && result.gradientNorm > config.clip
                    gradientTracker?.stepDone(clipped: clipped)
                    history.append(
                        .init(
                            step: step, epoch: epoch + 1, trainLoss: Float(result.loss), validationLoss: nil,
                            tokensPerSecond: Float(Double(result.predictions) / max(result.seconds, 1e-9)),
                            learningRate: result.learningRate,
                            gradientNorm: gradientTracker.map { _ in result.gradientNorm },
                            clipped: gradientTracker.map { _ in clipped }))
                    progress.stepDone(
                        step: step, epoch: epoch, stepInEpoch: stepInEpoch, loss: result.loss,
                        tokens: result.predictions, seconds: result.seconds)
                    if let every = config.sampleEvery, step % every == 0 { try printSample() }
                    if stepInEpoch == train.chunkCount { return }  // the epoch's end comes next, then the interrupt check
                    if let every = config.saveEvery, step % every == 0 { try save() }
                case .epochEnd:
                    try finishEpoch(started: epochStarted, tokens: epochTokens, seconds: epochSeconds)
                }
                // After a step inside an epoch, or after an epoch's end (its validation and
                // save done), so that the checkpoint is at a position a resume continues from.
                if cluster?.reducer.stopRequested ?? InterruptHandler.requested {  // --distributed: every rank's agreed request
                    if lastSavedStep != step { try save() }
                    try writeReports()
                    progress.clear()
                    let by = cluster == nil && InterruptHandler.signalNumber != SIGINT ? " by \(InterruptHandler.signalName)" : ""
                    if isRoot {
                        Console.note(
                            "interrupted\(by) at step \(Format.count(step)) (epoch \(epoch + 1)); saved \(config.checkpointPath). Continue with: charrnn train --resume \(config.checkpointPath)"
                        )
                    }
                    throw Interrupted(signal: cluster == nil ? InterruptHandler.signalNumber : SIGINT)
                }
            }
        } catch let error as TrainingError {
            try diverged(error)
        } catch let stop as EarlyStop {
            progress.clear()
            if !config.quiet {
                Console.note(
                    "stopping early: the validation loss has not improved for \(Format.plural(stop.epochs, "epoch")) (--early-stop \(config.earlyStop!)); the best was \(bestValidationLoss.map(Format.loss) ?? "-")"
                )
            }
        }
        if lastSavedStep != step { try save() }
        try writeReports()
        progress.clear()
        printSummary(seconds: now() - started, steps: step - startStep)
    }

    // MARK: - Pieces

    /// End of an epoch: the validation loss, the checkpoint (and the best one), the
    /// reports, the summary line; the position moves to the start of the next epoch.
    func finishEpoch(started: Double, tokens: Int, seconds: Double) throws {
        var validationLoss: Double? = nil
        var improved = false
        if let validation {
            let v = try self.validationLoss(validation)
            validationLoss = v
            history.setLastValidationLoss(v)
            trainer.schedule?.epochEnded(validationLoss: v)
            if v.isFinite && (bestValidationLoss.map { v < $0 } ?? true) {
                improved = true
                bestValidationLoss = v
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
        }
        let finishedEpoch = epoch - 1  // the trainer is at the start of the next epoch
        if let gradientTracker {
            // The gradient flow on the first training chunk (no effect on the weights or the RNG).
            var first = ManyToManyModel.Batch()
            train.fill(0, epoch: finishedEpoch, into: &first)
            let flow = model.gradientFlow(first, horizon: min(train.seqLength - 1, 64), maxSteps: 8)
            history.append(gradientTracker.finishEpoch(finishedEpoch + 1, flow: flow))
        }
        try save()
        var notes = ["saved \(config.checkpointPath)"]
        if improved, let best = config.bestCheckpointPath {
            let bestCheckpoint = try checkpoint()
            if isRoot { try CheckpointFile.save(bestCheckpoint, to: best) }
            notes.append("new best, saved \(best)")
        }
        try writeReports()
        progress.epochDone(
            epoch: finishedEpoch, validationLoss: validationLoss, seconds: now() - started,
            tokensPerSecond: Double(tokens) / max(seconds, 1e-9), note: notes.joined(separator: "; "))
        if let patience = config.earlyStop, epochsWithoutImprovement >= patience {
            throw EarlyStop(epochs: epochsWithoutImprovement)
        }
    }

    /// Ends training after an epoch: the validation loss has not improved for `epochs` epochs.
    struct EarlyStop: Error { let epochs: Int }

    /// The checkpoint of the current position.
    func checkpoint() throws -> Checkpoint {
        var metadata = staticMetadata
        if let bestValidationLoss { metadata[TrainingConfiguration.Key.bestValidationLoss] = String(bestValidationLoss) }
        metadata[TrainingConfiguration.Key.epochsWithoutImprovement] = String(epochsWithoutImprovement)
        return Checkpoint(
            model: model, vocabulary: vocabulary, initialization: config.initialization,
            optimizer: OptimizerState(capturing: trainer.optimizer),
            training: try wholeTrainingState(),
            metadata: metadata, tensors: history.tensors.merging(gradientTracker?.tensors ?? [:]) { a, _ in a })
    }

    /// Saves the checkpoint, unless the weights are no longer finite (then the previous
    /// checkpoint stays and training stops with an error).
    func save() throws {
        guard model.parameters.values.allSatisfy(\.isFinite) else {
            try? writeReports()
            progress.clear()
            throw CLIError(
                "the weights became NaN or infinite at step \(Format.count(step)), so training stopped without saving; \(lastGoodCheckpointNote()). Try a smaller --lr (now \(Format.number(config.learningRate))) or --clip"
            )
        }
        let checkpoint = try checkpoint()
        if isRoot { try CheckpointFile.save(checkpoint, to: config.checkpointPath) }
        lastSavedStep = step
    }

    func lastGoodCheckpointNote() -> String {
        if let lastSavedStep {
            return
                "the checkpoint '\(config.checkpointPath)' from step \(Format.count(lastSavedStep)) is the last good one and is unchanged"
        }
        if config.resumed != nil { return "the checkpoint '\(config.resumedPath!)' you resumed from is unchanged" }
        return "no checkpoint was saved (none was due yet)"
    }

    /// Stops the run: the loss or the gradient is NaN/Inf. The weights were not updated
    /// with it, and no checkpoint is written.
    func diverged(_ error: TrainingError) throws {
        try? writeReports()
        progress.clear()
        let learningRate = trainer.optimizer.learningRate
        guard case .nonFinite(let loss, let norm, let failedStep, let failedEpoch) = error else { throw CLIError("\(error)") }
        func name(_ x: Double) -> String { x.isNaN ? "NaN" : (x > 0 ? "infinite" : "-infinite") }
        let what = loss.isFinite ? "the gradient norm became \(name(Double(norm)))" : "the training loss became \(name(loss))"
        throw CLIError(
            "\(what) at step \(Format.count(failedStep)) (epoch \(failedEpoch + 1)), so training stopped; \(lastGoodCheckpointNote()). Try a smaller --lr (now \(Format.number(learningRate)))\(config.clip > 0 ? "" : " or --clip 5")"
        )
    }

    func writeReports() throws {
        guard isRoot else { return }
        if let path = config.historyPath { try OutputPath.write(history.csv, to: path, option: "--history") }
        if let path = config.plotPath {
            let name = (config.dataPath as NSString).lastPathComponent
            var plot = LossPlot(title: "charrnn on \(name): \(modelName), \(config.hiddenSize) hidden")
            plot.clipThreshold = config.clip > 0 ? config.clip : nil
            try OutputPath.write(plot.svg(history), to: path, option: "--plot")
        }
    }

    /// `2-layer LSTM`, `2-layer tanh RNN`, ...
    var modelName: String { Format.stack(cell: config.cell, nonlinearity: config.nonlinearity, numLayers: config.numLayers) }

    func printSample() throws {
        let sample = try TextGenerator(model: model, vocabulary: vocabulary)
            .generate(prime: [], length: config.sampleLength, temperature: OptionTable.sampleTemperature, topK: nil, rng: &rng)
        progress.clear()
        Console.out(
            bytes: Array("--- sample at step \(Format.count(step)) (epoch \(epoch + 1)) ---\n".utf8) + sample + Array("\n---\n".utf8))
    }

    /// "2 threads, each batch split across 2 workers; oneDNN GEMMs, AVX-512 kernels" or
    /// "1 GEMM thread; OpenBLAS GEMMs, AVX2+FMA kernels".
    var threadUse: String {
        let libraries =
            "\(GEMM.backend.displayName) GEMMs\(model.precision == .fp32 ? "" : " in \(model.precision.rawValue)"), "
            + "\(KernelVariant.current.displayName) kernels"
        if trainer.workerCount > 1 {
            return "\(threads) threads, each batch split across \(trainer.workerCount) workers; \(libraries)"
        }
        return "\(threads) GEMM thread\(threads == 1 ? "" : "s"); \(libraries)"
    }

    func printHeader() {
        guard !config.quiet else { return }
        let n = corpus.tokens.count
        let held = validation.map { _ in corpus.split(validationFraction: config.valFraction).validation.count } ?? 0
        var lines: [String] = []
        if let path = config.resumedPath {
            lines.append(
                "Resuming \(path) at step \(Format.count(step)), epoch \(epoch + 1)\(stepInEpoch > 0 ? " (chunk \(stepInEpoch + 1) of \(train.chunkCount))" : "")."
            )
        }
        let name = vocabulary.unit.tokenName
        let distinct =
            vocabulary.unit == .word
            ? "a vocabulary of \(Format.count(vocabulary.count)) with \(WordVocabulary.unknown) and \(WordVocabulary.endOfLine) (--unit word\(config.vocabLimit.map { ", --vocab-limit \($0)" } ?? ""))"
            : vocabulary.unit == .byte ? "256 symbols (--unit byte)" : "\(vocabulary.count) distinct"
        lines.append(
            "Data: \(config.dataPath): \(Format.plural(n, name)), \(distinct); \(Format.count(n - held)) to train on, \(held > 0 ? "\(Format.count(held)) (the last \(config.valFraction * 100)%) held out for validation, read as \(Format.plural(validation?.batchSize ?? 1, "parallel stream")) with the state carried" : "no validation") (--val-fraction)."
        )
        lines.append(
            "Model: \(modelName), \(config.hiddenSize) hidden units\(Format.inputAndDropout(model.configuration)), \(Format.count(model.parameters.count)) parameters (--cell, --hidden-size, --num-layers\(model.configuration.embeddingSize > 0 ? ", --embedding-size" : "")\(model.configuration.dropout > 0 ? ", --dropout" : ""))."
        )
        var schedule =
            config.epochs.map { "\($0) epochs of \(Format.count(train.chunkCount)) steps" }
            ?? "\(Format.count(config.maxSteps!)) steps (\(Format.count(train.chunkCount)) per epoch)"
        schedule += "; each step: \(config.batchSize) streams × \(config.seqLength) \(name)s"
        lines.append(
            "Training: \(schedule); \(config.optimizer.rawValue) lr \(Format.number(config.learningRate)) (\(config.scheduleSummary)), clip \(config.clip > 0 ? Format.number(config.clip) : "off"), seed \(config.seed), \(threadUse)."
        )
        if let cluster {
            lines.append("Distributed: \(cluster.summary).")
            if let resumed = config.resumed, let note = cluster.resumeNote(resumed.metadata) { lines.append(note) }
        }
        lines.append(
            "Checkpoint: \(config.checkpointPath) (every epoch\(config.saveEvery.map { " and every \($0) steps" } ?? ""), at the end, and on Ctrl-C)."
        )
        Console.note(lines.joined(separator: "\n"))
    }

    func printSummary(seconds: Double, steps: Int) {
        // The train loss of the last (possibly partial) epoch, and a validation loss of the final weights.
        let lastEpoch = history.rows.last?.epoch
        let recent = history.rows.filter { $0.epoch == lastEpoch }.map { Double($0.trainLoss) }
        let trainLoss = recent.isEmpty ? Double.nan : recent.reduce(0, +) / Double(recent.count)
        let position =
            stepInEpoch == 0
            ? "\(Format.plural(epoch, "epoch")) done, step \(Format.count(step))"
            : "step \(Format.count(step)), \(Format.count(stepInEpoch)) of \(Format.count(train.chunkCount)) into epoch \(epoch + 1)"
        var result =
            "Trained \(Format.plural(steps, "step")) in \(Format.duration(seconds)) (now \(position)): mean train loss \(Format.loss(trainLoss))"
        if let validation {
            let v: Double
            if stepInEpoch == 0, let last = history.rows.last?.validationLoss {
                v = Double(last)
            } else {
                v = model.meanLoss(over: validation).loss
            }
            result += ", val loss \(Format.loss(v)) (\(Format.bits(v, per: vocabulary.unit.shortName)))"
        }
        result += "; saved \(config.checkpointPath)"
        if let best = config.bestCheckpointPath, let b = bestValidationLoss { result += ", best (val \(Format.loss(b))) in \(best)" }
        Console.out(result + "\n")
        guard !config.quiet else { return }
        var next = [
            "Next:",
            "  charrnn sample --checkpoint \(config.checkpointPath) --prime \"The \" --length 500",
            "  charrnn eval --checkpoint \(config.checkpointPath) --data OTHER.txt",
            "  charrnn train --resume \(config.checkpointPath) " + (config.maxSteps.map { "--steps \($0 * 2)" } ?? "--epochs \(epoch + 10)")
                + "   (train further)",
        ]
        if config.historyPath == nil && config.plotPath == nil {
            next.append("  add --history loss.csv --plot loss.svg to keep the loss curves")
        }
        Console.note(next.joined(separator: "\n"))
    }
}
