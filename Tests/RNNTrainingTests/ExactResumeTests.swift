import Foundation
import Linalg
import RNN
import RNNTraining
import SafeTensors
import Testing

/// A resume through the library alone (`ModelCheckpoint` + `Trainer(resuming:)`) continues
/// a run bit for bit: every optimizer with settings other than PyTorch's defaults, every
/// learning-rate schedule (a plateau's state included), clipping, dropout and the state
/// carried between chunks.
struct ExactResumeTests {
    /// Non-default settings of every optimizer (SGD twice: dampened, and Nesterov).
    static let optimizers: [OptimizerConfiguration] = [
        .sgd(learningRate: 0.05, momentum: 0.8, dampening: 0.1, weightDecay: 1e-3, nesterov: false),
        .sgd(learningRate: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true),
        .adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-3),
        .adamw(learningRate: 0.01, beta1: 0.85, beta2: 0.995, epsilon: 1e-7, weightDecay: 0.05),
        .adagrad(learningRate: 0.05, learningRateDecay: 0.01, weightDecay: 1e-3, initialAccumulator: 0.1, epsilon: 1e-8),
        .rmsprop(learningRate: 0.005, alpha: 0.9, epsilon: 1e-6, weightDecay: 1e-3, momentum: 0.5, centered: true),
    ]

    /// Every schedule kind, with settings that move the rate within the run's 22 steps
    /// (4 chunks an epoch); the plateau (patience 0, factor 0.5) cuts the rate at epochs
    /// whose validation loss does not improve.
    static let schedules: [LearningRateSchedule.Kind] = [
        .constant, .decayAfter(epochs: 2, factor: 0.7), .decayEvery(epochs: 2, factor: 0.5),
        .cosine(warmupSteps: 3, totalSteps: 22, minimum: 1e-4), .plateau(factor: 0.5, patience: 0, minimum: 1e-4),
    ]

    /// A two-layer LSTM character model with dropout, on seeded text cut into 4 streams.
    static func run(optimizer: OptimizerConfiguration, schedule: LearningRateSchedule.Kind)
        throws -> (model: ManyToManyModel, trainer: Trainer<ManyToManyModel>, train: TokenStreams, validation: TokenStreams)
    {
        var rng = SeededRandom(seed: 31)
        let V = 7
        let text = (0..<(4 * 5 * 4 + 1)).map { _ in Int32(rng.index(below: V)) }
        let held = (0..<41).map { _ in Int32(rng.index(below: V)) }
        let train = TokenStreams(tokens: TokenSequence(text), batchSize: 4, seqLength: 5, partialChunks: false)!
        let validation = TokenStreams(tokens: TokenSequence(held), batchSize: 2, seqLength: 5, partialChunks: true)!
        let configuration = ManyToManyModel.Configuration(
            inputSize: V, outputSize: V,
            recurrent: .init(cell: .lstm, hiddenSize: 6, numLayers: 2),
            dropout: 0.2, dropoutSeed: 5)
        let model = ManyToManyModel(configuration, using: &rng)
        let trainer = Trainer(model: model, optimizer: try optimizer.makeOptimizer(), clipNorm: 0.5)
        trainer.schedule = LearningRateSchedule(base: Double(optimizer.learningRate), kind: schedule)
        return (model, trainer, train, validation)
    }

    /// Trains `trainer` to step `steps`, telling its schedule each epoch's validation loss.
    static func train(_ trainer: Trainer<ManyToManyModel>, _ source: TokenStreams, validation: TokenStreams, to steps: Int) throws {
        try trainer.train(on: source, for: .steps(steps)) { event in
            if case .epochEnd = event { trainer.schedule?.epochEnded(validationLoss: trainer.model.meanLoss(over: validation).loss) }
        }
    }

    @Test(arguments: optimizers)
    func resumeIsExact(optimizer: OptimizerConfiguration) throws {
        for schedule in Self.schedules {
            let straight = try Self.run(optimizer: optimizer, schedule: schedule)
            try Self.train(straight.trainer, straight.train, validation: straight.validation, to: 22)
            if case .plateau = schedule {  // the plateau's state moved, so a lost one would show
                #expect(straight.trainer.schedule!.state.rate < Double(optimizer.learningRate))
            }

            let first = try Self.run(optimizer: optimizer, schedule: schedule)
            try Self.train(first.trainer, first.train, validation: first.validation, to: 9)  // mid-epoch: a carried state
            #expect(first.trainer.carriedState != nil)
            try withTemporaryFile { path in
                try ModelCheckpoint(
                    model: first.model, optimizer: OptimizerState(capturing: first.trainer.optimizer),
                    training: first.trainer.trainingState(rngState: [1, 2, 3, 4])
                ).write(path: path)
                let resumed = try Trainer(resuming: try ModelCheckpoint<ManyToManyModel>.read(path: path))
                #expect(resumed.optimizer.configuration == first.trainer.optimizer.configuration)
                #expect(resumed.schedule == first.trainer.schedule && resumed.clipNorm == 0.5)
                try Self.train(resumed, first.train, validation: first.validation, to: 22)

                let context = "\(optimizer.kind) with \(schedule)"
                #expect(
                    resumed.model.parameters.values.map(\.bitPattern) == straight.model.parameters.values.map(\.bitPattern),
                    "\(context): the resumed weights differ")
                #expect(resumed.optimizer.stateBuffers == straight.trainer.optimizer.stateBuffers, "\(context)")
                #expect(resumed.optimizer.learningRate.bitPattern == straight.trainer.optimizer.learningRate.bitPattern, "\(context)")
                #expect(resumed.schedule == straight.trainer.schedule, "\(context)")
                #expect(resumed.position == straight.trainer.position, "\(context)")
            }
        }
    }

    /// The run really depends on what is saved: without the settings (PyTorch's defaults,
    /// as `OptimizerState` gave before it kept them) or without the schedule, the resumed
    /// weights differ — so the test above would see a lost setting.
    @Test func aResumeWithoutTheSettingsDiverges() throws {
        let optimizer = Self.optimizers[3], schedule = Self.schedules[2]
        let straight = try Self.run(optimizer: optimizer, schedule: schedule)
        try Self.train(straight.trainer, straight.train, validation: straight.validation, to: 22)
        for loses in ["settings", "schedule"] {
            let first = try Self.run(optimizer: optimizer, schedule: schedule)
            try Self.train(first.trainer, first.train, validation: first.validation, to: 9)
            var state = OptimizerState(capturing: first.trainer.optimizer)
            var training = first.trainer.trainingState(rngState: [1, 2, 3, 4])
            if loses == "settings" {
                state.configuration = .defaults(state.configuration.kind, learningRate: state.learningRate)
            } else {
                training.schedule = nil
            }
            let resumed = try Trainer(model: first.model, resuming: state, training: training)
            try Self.train(resumed, first.train, validation: first.validation, to: 22)
            #expect(
                resumed.model.parameters.values.map(\.bitPattern) != straight.model.parameters.values.map(\.bitPattern),
                "a resume without the \(loses) should diverge")
        }
    }

    /// Settings and schedules survive their JSON bit for bit, for seeded random values.
    @Test func configurationsRoundTripThroughJSON() throws {
        var rng = SeededRandom(seed: 8)
        func value() -> Float { Float(bitPattern: UInt32.random(in: 0x3000_0000...0x3F7F_FFFF, using: &rng)) }  // (1e-9, 1)
        for _ in 0..<200 {
            let configurations: [OptimizerConfiguration] = [
                .sgd(
                    learningRate: value(), momentum: value(), dampening: value(), weightDecay: value(), nesterov: rng.index(below: 2) == 0),
                .adam(learningRate: value(), beta1: value(), beta2: value(), epsilon: value(), weightDecay: value()),
                .adamw(learningRate: value(), beta1: value(), beta2: value(), epsilon: value(), weightDecay: value()),
                .adagrad(
                    learningRate: value(), learningRateDecay: value(), weightDecay: value(), initialAccumulator: value(), epsilon: value()),
                .rmsprop(learningRate: value(), alpha: value(), epsilon: value(), weightDecay: value(), momentum: value(), centered: true),
            ]
            for configuration in configurations {
                let decoded = try JSONDecoder().decode(OptimizerConfiguration.self, from: JSONEncoder().encode(configuration))
                #expect(decoded == configuration)
                #expect(try decoded.makeOptimizer().configuration == configuration)
            }
            var schedule = LearningRateSchedule(base: Double(value()), kind: .plateau(factor: Double(value()), patience: 2, minimum: 1e-9))
            schedule.epochEnded(validationLoss: Double(value()))
            let decoded = try JSONDecoder().decode(LearningRateSchedule.self, from: JSONEncoder().encode(schedule))
            #expect(decoded == schedule)
        }
    }

    /// What a checkpoint's new metadata may not hold: another optimizer's settings,
    /// invalid values, a broken schedule — each a `CheckpointError` naming the key.
    @Test func damagedSettingsAreRefused() throws {
        var rng = SeededRandom(seed: 4)
        let model = ManyToOneModel(.init(inputSize: 3, outputSize: 2, recurrent: .init(cell: .gru, hiddenSize: 4)), using: &rng)
        let adamW = AdamW(learningRate: 0.01, weightDecay: 0.1)
        var schedule = LearningRateSchedule(base: 0.01, kind: .plateau(factor: 0.5, patience: 1, minimum: 1e-4))
        schedule.epochEnded(validationLoss: 2)
        let good = ModelCheckpoint(
            model: model, optimizer: OptimizerState(capturing: adamW),
            training: TrainingState(
                step: 3, epoch: 1, stepInEpoch: 0, rngState: [1, 2, 3, 4],
                schedule: schedule, clipNorm: 1)
        ).safeTensors
        let loaded = try ModelCheckpoint<ManyToOneModel>(good)
        #expect(loaded.optimizer?.configuration == adamW.configuration && loaded.training?.schedule == schedule)
        #expect(loaded.training?.clipNorm == 1)

        func error(_ mutate: (inout SafeTensorsFile) -> Void) -> String? {
            var file = good
            mutate(&file)
            do { _ = try ModelCheckpoint<ManyToOneModel>(file); return nil } catch { return "\(error)" }
        }
        let adam = #"{"adam":{"beta1":0.9,"beta2":0.999,"epsilon":1e-08,"learningRate":0.01,"weightDecay":0}}"#
        #expect(
            error { $0.metadata["optimizer_configuration"] = adam }?.contains(
                "the settings of the optimizer the 'optimizer' key names, adamw") == true)
        #expect(
            error { $0.metadata["optimizer_configuration"] = "{" }?.contains(
                "'optimizer_configuration' metadata is '{', expected an optimizer's kind and settings as JSON") == true)
        let badBeta = #"{"adamw":{"beta1":1.5,"beta2":0.999,"epsilon":1e-08,"learningRate":0.01,"weightDecay":0}}"#
        #expect(
            error { $0.metadata["optimizer_configuration"] = badBeta }
                == "the checkpoint's optimizer state does not fit: adamw betas must be in [0, 1), got (1.5, 0.999)")
        let negative = #"{"adamw":{"beta1":0.9,"beta2":0.999,"epsilon":-1,"learningRate":0.01,"weightDecay":0}}"#
        #expect(
            error { $0.metadata["optimizer_configuration"] = negative }?.contains("epsilon must be finite and non-negative, got -1.0")
                == true)
        #expect(
            error { $0.metadata["learning_rate_schedule"] = #"{"base":-1,"kind":{"constant":{}},"badEpochs":0,"plateauRate":1}"# }?
                .contains("learning-rate schedule base rate is -1.0") == true)
        #expect(error { $0.metadata["clip_norm"] = "nan" }?.contains("'clip_norm'") == true)

        // An optimizer whose settings overflowed saves (as "inf"), and is refused when read.
        let broken = Adam(learningRate: 0.01, epsilon: .infinity)
        let saved = ModelCheckpoint(model: model, optimizer: OptimizerState(capturing: broken)).safeTensors
        #expect(saved.metadata["optimizer_configuration"]?.contains(#""epsilon":"inf""#) == true)
        #expect(throws: CheckpointError.optimizerState("adam epsilon must be finite and non-negative, got inf")) {
            try ModelCheckpoint<ManyToOneModel>(saved)
        }

        // A file written before the settings were kept: PyTorch's defaults, the saved rate.
        var old = good
        old.metadata["optimizer_configuration"] = nil
        old.metadata["learning_rate_schedule"] = nil
        old.metadata["clip_norm"] = nil
        let resumed = try ModelCheckpoint<ManyToOneModel>(old)
        #expect(resumed.optimizer?.configuration == .defaults(.adamw, learningRate: 0.01))
        #expect(resumed.training?.schedule == nil && resumed.training?.clipNorm == nil)
        // In a file of version 1–3 the keys version 4 added are a caller's metadata, not read.
        var older = ModelCheckpoint(
            model: model, optimizer: OptimizerState(capturing: adamW),
            training: TrainingState(step: 3, epoch: 1, stepInEpoch: 0, rngState: [1, 2, 3, 4])
        ).versionThreeSafeTensors
        older.metadata["clip_norm"] = "5"
        older.metadata["optimizer_configuration"] = "a note"
        let read = try ModelCheckpoint<ManyToOneModel>(older)
        #expect(read.training?.clipNorm == nil && read.optimizer?.configuration == .defaults(.adamw, learningRate: 0.01))
        #expect(read.metadata == ["clip_norm": "5", "optimizer_configuration": "a note"])
    }

    /// `Trainer(resuming:)` of a checkpoint of weights alone says what is missing.
    @Test func aCheckpointOfWeightsAloneDoesNotResume() throws {
        var rng = SeededRandom(seed: 4)
        let model = ManyToOneModel(.init(inputSize: 3, outputSize: 2, recurrent: .init(cell: .rnn, hiddenSize: 4)), using: &rng)
        #expect(throws: CheckpointError.missingMetadata("optimizer")) { try Trainer(resuming: ModelCheckpoint(model: model)) }
        let noTraining = ModelCheckpoint(model: model, optimizer: OptimizerState(capturing: SGD(learningRate: 0.1)))
        #expect(throws: CheckpointError.missingMetadata("step")) { try Trainer(resuming: noTraining) }
    }
}
