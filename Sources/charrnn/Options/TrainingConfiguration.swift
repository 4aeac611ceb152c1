import Foundation
import Linalg
import RNN
import RNNTraining
import _ToolSupport

/// The settings of a `--data` training run: each option as given, else (when resuming)
/// the checkpoint's, else the default. Options that would make a resumed run inconsistent
/// with its checkpoint (model, optimizer, data layout) are errors when they differ.
struct TrainingConfiguration {
    /// `--precision`: a run setting, not stored (a resumed run takes the option again).
    var precision: Precision
    var dataPath: String
    var cell: RecurrentCell
    var hiddenSize: Int
    var numLayers: Int
    /// `.tanh` for GRU and LSTM (their fixed activations).
    var nonlinearity: Nonlinearity
    var initialization: RecurrentInitialization
    /// `--embedding-size` (0: one-hot input), `--tie-weights`, `--dropout`.
    var embeddingSize: Int
    var tiedWeights: Bool
    var dropout: Float
    var optimizer: OptimizerKind
    /// The learning rate of the first epoch; epoch `e` uses `learningRate * learningRateDecay^e`.
    var learningRate: Float
    var learningRateDecay: Float
    /// 0 = no clipping.
    var clip: Float
    var weightDecay: Float
    /// `--lr-schedule` and its parameters (see `scheduleKind(totalSteps:)`).
    var schedule: ScheduleName
    var decayAfter: Int
    var decayEvery: Int?
    var warmupSteps: Int
    var minimumLearningRate: Float
    var plateauPatience: Int
    var plateauFactor: Float
    /// Stop after this many epochs without a better validation loss; nil: never.
    var earlyStop: Int?
    /// `--unit` and `--vocab-limit` (word only; nil: every word).
    var unit: TextUnit
    var vocabLimit: Int?
    var seqLength: Int
    var batchSize: Int
    var valFraction: Double
    /// Exactly one of `epochs` and `maxSteps` is set.
    var epochs: Int?
    var maxSteps: Int?
    var seed: UInt64
    var checkpointPath: String
    var bestCheckpointPath: String?
    var saveEvery: Int?
    var sampleEvery: Int?
    var sampleLength: Int
    var quiet: Bool
    var trackGradients: Bool
    var historyPath: String?
    var plotPath: String?
    /// The checkpoint being resumed.
    var resumed: Checkpoint?
    var resumedPath: String?

    /// Metadata keys the tool adds to checkpoints.
    enum Key {
        static let data = "data", dataFingerprint = "data_fingerprint", seqLength = "seq_length"
        static let batchSize = "batch_size", valFraction = "val_fraction", learningRate = "base_learning_rate"
        static let learningRateDecay = "lr_decay", clip = "clip", epochs = "epochs", maxSteps = "max_steps"
        static let seed = "seed", bestValidationLoss = "best_val_loss", createdBy = "created_by"
        static let weightDecay = "weight_decay", epochsWithoutImprovement = "epochs_without_improvement"
        static let schedule = "lr_schedule", decayAfter = "lr_decay_after", decayEvery = "lr_decay_every"
        static let warmupSteps = "warmup_steps", minimumLearningRate = "min_lr"
        static let plateauPatience = "plateau_patience", plateauFactor = "plateau_factor"
        /// A plateau's state in files written before the training state held the schedule
        /// (read, no longer written).
        static let plateauBest = "lr_plateau_best", plateauBadEpochs = "lr_plateau_bad_epochs", plateauRate = "lr_plateau_rate"
    }

    /// The schedule's kind for a run that ends at step `totalSteps` (cosine spans to it).
    func scheduleKind(totalSteps: Int) -> LearningRateSchedule.Kind {
        switch schedule {
        case .constant: return .constant
        case .step:
            return decayEvery.map { .decayEvery(epochs: $0, factor: Double(learningRateDecay)) }
                ?? .decayAfter(epochs: decayAfter, factor: Double(learningRateDecay))
        case .cosine: return .cosine(warmupSteps: warmupSteps, totalSteps: totalSteps, minimum: Double(minimumLearningRate))
        case .plateau: return .plateau(factor: Double(plateauFactor), patience: plateauPatience, minimum: Double(minimumLearningRate))
        }
    }

    /// "constant", "× 0.97 per epoch after 10", "cosine to 1e-05 after 100 warmup steps", ...
    var scheduleSummary: String {
        switch schedule {
        case .constant: return "constant"
        case .step:
            return decayEvery.map { "× \(Format.number(learningRateDecay)) every \(Format.plural($0, "epoch"))" }
                ?? "× \(Format.number(learningRateDecay)) per epoch\(decayAfter > 1 ? " after epoch \(decayAfter)" : "")"
        case .cosine:
            return
                "cosine to \(Format.number(minimumLearningRate))\(warmupSteps > 0 ? " after \(Format.plural(warmupSteps, "warmup step"))" : "")"
        case .plateau: return "× \(Format.number(plateauFactor)) on a plateau of more than \(Format.plural(plateauPatience, "epoch"))"
        }
    }

    /// The settings as checkpoint metadata (without the per-save values).
    func metadata(fingerprint: String) -> [String: String] {
        var m: [String: String] = [
            Key.data: OutputPath.canonical(dataPath), Key.dataFingerprint: fingerprint,
            Key.seqLength: String(seqLength), Key.batchSize: String(batchSize), Key.valFraction: String(valFraction),
            Key.learningRate: String(learningRate), Key.learningRateDecay: String(learningRateDecay),
            Key.clip: String(clip), Key.weightDecay: String(weightDecay), Key.seed: String(seed),
            Key.schedule: schedule.rawValue, Key.decayAfter: String(decayAfter), Key.warmupSteps: String(warmupSteps),
            Key.minimumLearningRate: String(minimumLearningRate), Key.plateauPatience: String(plateauPatience),
            Key.plateauFactor: String(plateauFactor), Key.createdBy: "charrnn \(CharRNN.configuration.version)",
        ]
        if let decayEvery { m[Key.decayEvery] = String(decayEvery) }
        if let epochs { m[Key.epochs] = String(epochs) }
        if let maxSteps { m[Key.maxSteps] = String(maxSteps) }
        return m
    }

    init(_ train: CharRNN.Train) throws {
        let data = train.dataOptions, model = train.modelOptions, opt = train.optimization
        let ck = train.checkpoints, report = train.reporting
        precision = train.precisionOptions.precision
        var resumed: Checkpoint? = nil
        if let path = ck.resume { resumed = try CheckpointFile.load(path, option: "--resume") }
        self.resumed = resumed
        self.resumedPath = ck.resume
        let stored = resumed?.metadata ?? [:]

        /// The stored value of `key`, parsed; an unparsable value is an error.
        func storedValue<T>(_ key: String, _ parse: (String) -> T?) throws -> T? {
            guard let text = stored[key] else { return nil }
            guard let value = parse(text) else {
                throw CLIError("--resume checkpoint '\(ck.resume!)' has an invalid '\(key)' value '\(text)'; the file is damaged")
            }
            return value
        }
        /// `given` unless it conflicts with the checkpoint's `kept` value.
        func keep<T: Equatable & CustomStringConvertible>(_ given: T?, _ kept: T?, _ option: String, _ what: String) throws -> T? {
            if let given, let kept, given != kept {
                throw CLIError(
                    "\(option) \(given) differs from the resumed checkpoint's \(kept); a resumed run keeps the checkpoint's \(what) (omit \(option), or start a new run without --resume)"
                )
            }
            return kept ?? given
        }

        if let resumed {
            let rnn = resumed.model.rnn
            cell = try keep(model.cell?.rawValue, rnn.cell.rawValue, "--cell", "model")
                .flatMap(RecurrentCell.init(rawValue:))!
            try Check.vanillaOnly(
                cell: cell, nonlinearity: model.nonlinearity, initialization: model.initialization,
                resumed: model.cell == nil ? ck.resume : nil)
            hiddenSize = try keep(model.hiddenSize, rnn.hiddenSize, "--hidden-size", "model")!
            numLayers = try keep(model.numLayers, rnn.numLayers, "--num-layers", "model")!
            nonlinearity = try keep(model.nonlinearity?.rawValue, (rnn.vanillaNonlinearity ?? .tanh).rawValue, "--nonlinearity", "model")
                .flatMap(Nonlinearity.init(rawValue:))!
            initialization = resumed.initialization ?? model.initialization ?? .pytorchDefault
            let kept = resumed.model.configuration, given = model.inputAndDropout
            embeddingSize = try keep(given.embeddingSize, kept.embeddingSize, "--embedding-size", "model")!
            tiedWeights = try keep(given.tiedWeights, kept.tiedWeights, "--tie-weights", "model")!
            dropout = try keep(given.dropout, kept.dropout, "--dropout", "model (its dropout draws the masks a resumed run repeats)")!
            let storedOptimizer = resumed.optimizer.flatMap { OptimizerKind(rawValue: $0.name) }
            optimizer =
                try keep(opt.optimizer?.rawValue, storedOptimizer?.rawValue, "--optimizer", "optimizer and its state")
                .flatMap(OptimizerKind.init(rawValue:)) ?? .adam
            unit = try keep(data.unit?.rawValue, resumed.vocabulary.unit.rawValue, "--unit", "tokens (the model reads its own vocabulary)")
                .flatMap(TextUnit.init(rawValue:))!
            if data.vocabLimit != nil {
                throw CLIError(
                    "--vocab-limit does not apply to a resumed run: the vocabulary is the checkpoint's (\(resumed.vocabulary.summary))")
            }
            seqLength =
                try keep(
                    data.seqLength, try storedValue(Key.seqLength, OptionTable.seqLength.parse),
                    "--seq-length", "data layout (it fixes the position in the data)") ?? OptionTable.seqLength.textDefault!
            batchSize =
                try keep(
                    data.batchSize, try storedValue(Key.batchSize, OptionTable.batchSize.parse),
                    "--batch-size", "data layout (it fixes the position in the data and the carried state)") ?? OptionTable.batchSize
                .textDefault!
            valFraction =
                try keep(
                    data.valFraction, try storedValue(Key.valFraction, OptionTable.valFraction.parse),
                    "--val-fraction", "train/validation split") ?? OptionTable.valFraction.textDefault
        } else {
            cell = model.cell ?? .rnn
            hiddenSize = model.hiddenSize ?? OptionTable.hiddenSize.textDefault!
            numLayers = model.numLayers ?? OptionTable.numLayers.textDefault!
            nonlinearity = model.nonlinearity ?? .tanh
            initialization = model.initialization ?? .pytorchDefault
            embeddingSize = model.embeddingSize ?? OptionTable.embeddingSize.textDefault!
            tiedWeights = model.tieWeights
            dropout = model.dropout ?? Float(OptionTable.dropout.textDefault)
            optimizer = opt.optimizer ?? .adam
            unit = data.unit ?? .char
            vocabLimit = data.vocabLimit
            if vocabLimit != nil && unit != .word {
                throw CLIError("--vocab-limit applies to --unit word; give --unit word or drop --vocab-limit")
            }
            seqLength = data.seqLength ?? OptionTable.seqLength.textDefault!
            batchSize = data.batchSize ?? OptionTable.batchSize.textDefault!
            valFraction = data.valFraction ?? OptionTable.valFraction.textDefault
        }
        if tiedWeights {
            try Self.checkTying(embeddingSize: embeddingSize, hiddenSize: hiddenSize)
        }
        if seqLength * batchSize > OptionTable.maximumChunkRows {
            throw CLIError(
                "--seq-length × --batch-size is \(Format.count(seqLength * batchSize)); at most \(Format.count(OptionTable.maximumChunkRows)) predictions fit in one step"
            )
        }
        /// An option's value: given, else the checkpoint's (if one this option allows), else the default.
        func real(_ given: Float?, _ option: RealOption, _ key: String) throws -> Float {
            try given ?? storedValue(key, option.parseFloat) ?? Float(option.textDefault)
        }
        learningRate = try real(opt.learningRate, OptionTable.learningRate, Key.learningRate)
        learningRateDecay = try real(opt.learningRateDecay, OptionTable.learningRateDecay, Key.learningRateDecay)
        clip = try real(opt.clip, OptionTable.clip, Key.clip)
        weightDecay =
            try opt.weightDecay ?? storedValue(Key.weightDecay, OptionTable.weightDecay.parseFloat)
            ?? OptionTable.defaultWeightDecay(optimizer)
        earlyStop = opt.earlyStop
        // The schedule: each setting given, else the checkpoint's, else the default.
        let nonNegativeInt = { (s: String) in Int(s).flatMap { $0 >= 0 && $0 <= 1_000_000_000 ? $0 : nil } }
        schedule =
            try opt.lrSchedule ?? storedValue(Key.schedule, ScheduleName.init(rawValue:))
            ?? (learningRateDecay != 1 ? .step : .constant)
        let storedEvery = opt.lrDecayAfter == nil ? try storedValue(Key.decayEvery, nonNegativeInt) : nil
        decayEvery = opt.lrDecayEvery ?? storedEvery
        decayAfter = try opt.lrDecayAfter ?? storedValue(Key.decayAfter, nonNegativeInt) ?? 1
        warmupSteps = try opt.warmupSteps ?? storedValue(Key.warmupSteps, nonNegativeInt) ?? 0
        minimumLearningRate =
            try opt.minLR ?? storedValue(Key.minimumLearningRate) { Float($0).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } } ?? 0
        plateauPatience = try opt.plateauPatience ?? storedValue(Key.plateauPatience, nonNegativeInt) ?? 10
        plateauFactor = try opt.plateauFactor ?? storedValue(Key.plateauFactor) { Float($0).flatMap { $0 > 0 && $0 < 1 ? $0 : nil } } ?? 0.1
        try Self.checkSchedule(schedule, opt, decay: learningRateDecay, valFraction: valFraction)
        if opt.epochs != nil || opt.steps != nil {
            epochs = opt.epochs
            maxSteps = opt.steps
        } else if let steps = try storedValue(Key.maxSteps, OptionTable.steps.parse) {
            maxSteps = steps
        } else {
            epochs = try storedValue(Key.epochs, OptionTable.epochs.parse) ?? OptionTable.epochs.textDefault!
        }
        let storedSeed = try storedValue(Key.seed) { UInt64($0) }
        if let given = opt.seed, let storedSeed, given != storedSeed {
            Console.warning("--seed \(given) is ignored: the resumed run continues the checkpoint's random state (seed \(storedSeed))")
        }
        seed = storedSeed ?? opt.seed ?? OptionTable.seed
        if resumed != nil, model.initialization != nil, model.initialization != resumed?.initialization {
            Console.warning("--init is ignored when resuming: the weights come from the checkpoint")
        }

        guard let dataPath = data.data ?? stored[Key.data] else {
            throw CLIError("the --resume checkpoint does not record which text it was trained on; give it with --data FILE")
        }
        self.dataPath = dataPath
        if let path = ck.checkpoint {
            checkpointPath = path
        } else if let path = ck.resume {
            checkpointPath = path
        } else {
            let stem = ((dataPath as NSString).lastPathComponent as NSString).deletingPathExtension
            checkpointPath = (stem.isEmpty ? "charrnn" : stem) + ".safetensors"
        }
        if OutputPath.canonical(checkpointPath) == OutputPath.canonical(dataPath) {
            throw CLIError("the checkpoint path '\(checkpointPath)' is the data file itself; choose another with --checkpoint")
        }
        bestCheckpointPath = ck.keepBest ? CheckpointFile.bestPath(for: checkpointPath) : nil
        if earlyStop != nil && valFraction == 0 {
            throw CLIError(
                "--early-stop needs a validation loss, but --val-fraction is 0; give --val-fraction (e.g. 0.05) or drop --early-stop")
        }
        if ck.keepBest && valFraction == 0 {
            throw CLIError(
                "--keep-best needs a validation loss, but --val-fraction is 0; give --val-fraction (e.g. 0.05) or drop --keep-best")
        }
        saveEvery = ck.saveEvery
        sampleEvery = report.sampleEvery
        sampleLength = report.sampleLength ?? OptionTable.sampleLength.textDefault!
        quiet = report.quiet
        trackGradients = report.trackGradients
        historyPath = report.history
        plotPath = report.plot

        try OutputPath.checkWritable(checkpointPath, option: "--checkpoint")
        if let bestCheckpointPath { try OutputPath.checkWritable(bestCheckpointPath, option: "--keep-best") }
        if let historyPath { try OutputPath.checkWritable(historyPath, option: "--history") }
        if let plotPath { try OutputPath.checkWritable(plotPath, option: "--plot") }
    }

    /// `--tie-weights` needs an embedding as wide as the hidden layer.
    static func checkTying(embeddingSize: Int, hiddenSize: Int) throws {
        if embeddingSize == 0 {
            throw CLIError("--tie-weights needs an embedding: give --embedding-size equal to --hidden-size (\(hiddenSize))")
        }
        if embeddingSize != hiddenSize {
            throw CLIError(
                "--tie-weights needs --embedding-size equal to --hidden-size, got \(embeddingSize) and \(hiddenSize): the output layer's weight [V, \(hiddenSize)] is the embedding [V, \(embeddingSize)]"
            )
        }
    }

    /// A schedule option without its schedule, or a schedule without what it needs, is an error.
    static func checkSchedule(_ schedule: ScheduleName, _ opt: OptimizationOptions, decay: Float, valFraction: Double) throws {
        for (option, schedules) in opt.givenScheduleOptions where !schedules.contains(schedule) {
            throw CLIError(
                "\(option) applies to --lr-schedule \(schedules.map(\.rawValue).joined(separator: " or ")), not \(schedule.rawValue); give --lr-schedule \(schedules[0].rawValue) or drop \(option)"
            )
        }
        if schedule == .step && decay == 1 {
            throw CLIError("--lr-schedule step needs --lr-decay below 1 (the factor per epoch, e.g. 0.97 as char-rnn's)")
        }
        if schedule == .plateau && valFraction == 0 {
            throw CLIError("--lr-schedule plateau needs a validation loss, but --val-fraction is 0; give --val-fraction (e.g. 0.05)")
        }
    }
}
