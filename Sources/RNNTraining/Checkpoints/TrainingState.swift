import RNN

/// Step counters, random generator state, the carried hidden state, the learning-rate
/// schedule and the clipping threshold of a training run, so that a resumed run continues exactly where the checkpoint was taken.
public struct TrainingState: Equatable, Sendable {
    /// Optimizer steps done.
    public var step: Int
    /// Completed epochs (the 0-based index of the current epoch).
    public var epoch: Int
    /// Chunks of the current epoch done.
    public var stepInEpoch: Int
    /// `SeededRandom.state` (four words).
    public var rngState: [UInt32]
    /// The state carried into the next chunk, `RecurrentStack.stateSize(batchSize: B)`
    /// values (`[parts, L·D, B, H]` flattened, parts = 2 for the LSTM: h then c),
    /// or nil at an epoch boundary (zeros).
    public var hiddenState: [Float]?
    /// The trainer's learning-rate schedule with its state (a plateau's best loss, bad
    /// epochs and rate), or nil when it had none (`Trainer.schedule`).
    public var schedule: LearningRateSchedule?
    /// The trainer's global-norm clipping threshold, or nil for none (`Trainer.clipNorm`).
    public var clipNorm: Float?

    public init(
        step: Int, epoch: Int, stepInEpoch: Int, rngState: [UInt32], hiddenState: [Float]? = nil,
        schedule: LearningRateSchedule? = nil, clipNorm: Float? = nil
    ) {
        precondition(rngState.count == 4, "rngState has 4 words, got \(rngState.count)")
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.rngState = rngState
        self.hiddenState = hiddenState
        self.schedule = schedule
        self.clipNorm = clipNorm
    }
}

/// An optimizer's kind, every hyperparameter, step count and moment buffers (each of the
/// parameter buffer's layout), detached from the optimizer object: `makeOptimizer(for:)`
/// gives back the optimizer that was captured, so a resume continues bit for bit.
public struct OptimizerState: Equatable, Sendable {
    /// The kind and all hyperparameters, the learning rate of the next step included.
    public var configuration: OptimizerConfiguration
    public var stepCount: Int
    /// Buffer name (e.g. `exp_avg`) -> values, in the parameter buffer's layout.
    public var buffers: [String: [Float]]

    public init(configuration: OptimizerConfiguration, stepCount: Int, buffers: [String: [Float]]) {
        self.configuration = configuration
        self.stepCount = stepCount
        self.buffers = buffers
    }

    /// The current state of `optimizer`.
    public init(capturing optimizer: Optimizer) {
        self.init(configuration: optimizer.configuration, stepCount: optimizer.stepCount, buffers: optimizer.stateBuffers)
    }

    /// `adam`, `adamw`, `sgd`, `adagrad` or `rmsprop` (`OptimizerKind`).
    public var name: String { configuration.kind.rawValue }
    public var learningRate: Float {
        get { configuration.learningRate }
        set { configuration.learningRate = newValue }
    }

    /// A new optimizer with this state's settings, step count and moments, for the
    /// parameters in `store`. Throws when a hyperparameter is invalid, a buffer does not
    /// have `store.count` values, or the buffers are not the ones this optimizer keeps.
    public func makeOptimizer(for store: ParameterStore) throws(CheckpointError) -> Optimizer {
        let optimizer: Optimizer
        do { optimizer = try configuration.makeOptimizer() } catch { throw .optimizerState(error.reason) }
        for (buffer, values) in buffers.sorted(by: { $0.key < $1.key }) where values.count != store.count {
            throw .optimizerState("buffer '\(buffer)' has \(values.count) values, the model has \(store.count) parameters")
        }
        do {
            try optimizer.restore(stateBuffers: buffers, stepCount: stepCount)
        } catch {
            throw .optimizerState("\(error)")
        }
        let kept = Set(optimizer.stateBuffers.keys), given = Set(buffers.keys)
        if kept != given {
            let extra = given.subtracting(kept).sorted(), missing = kept.subtracting(given).sorted()
            throw .optimizerState(
                extra.isEmpty
                    ? "\(name) needs the buffers \(missing.joined(separator: ", "))"
                    : "\(name) keeps no buffer named \(extra.joined(separator: ", "))")
        }
        return optimizer
    }
}
