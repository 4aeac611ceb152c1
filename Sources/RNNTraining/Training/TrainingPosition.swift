import RNN

/// Where a training run is: what the next step does.
public struct TrainingPosition: Equatable, Sendable {
    /// Optimizer steps done.
    public var step = 0
    /// Completed epochs (the 0-based index of the current epoch).
    public var epoch = 0
    /// Batches of the current epoch done.
    public var stepInEpoch = 0

    public init(step: Int = 0, epoch: Int = 0, stepInEpoch: Int = 0) {
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
    }
}

/// When `Trainer.train(on:for:)` stops: after a total number of epochs or of steps (both
/// counted from the start of the run, so a resumed trainer continues to the same goal).
public enum TrainingGoal: Equatable, Sendable {
    case epochs(Int)
    case steps(Int)

    /// Whether `position` has reached the goal.
    public func isReached(at position: TrainingPosition) -> Bool {
        switch self {
        case .epochs(let n): return position.epoch >= n
        case .steps(let n): return position.step >= n
        }
    }

    /// The step number the goal is reached at, with `batchesPerEpoch` batches per epoch.
    public func targetStep(batchesPerEpoch: Int) -> Int {
        switch self {
        case .epochs(let n): return n * batchesPerEpoch
        case .steps(let n): return n
        }
    }
}

/// One training step's outcome.
public struct StepResult: Sendable {
    /// The batch's mean loss (before the update).
    public var loss: Double
    /// The gradients' global L2 norm before clipping.
    public var gradientNorm: Float
    /// The learning rate the update used.
    public var learningRate: Float
    /// The predictions the loss counted.
    public var predictions: Int
    /// Wall-clock seconds of the step (gradients, clipping, update, carried state).
    public var seconds: Double
}

/// What `Trainer.train(on:for:onEvent:)` reports.
public enum TrainingEvent {
    /// A step is done (the position already counts it).
    case step(StepResult)
    /// 0-based epoch `epoch` is done; the position is at the start of the next one.
    case epochEnd(epoch: Int)
}

/// Why training stopped without updating the weights.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss or the gradient norm of step `step` (1-based), in 0-based `epoch`, is NaN or
    /// infinite; the weights were left as they were.
    case nonFinite(loss: Double, gradientNorm: Float, step: Int, epoch: Int)
    /// A carried state of `values` values where a multiple (resume) or exactly
    /// `expected` (a step) is needed: `stateBlocks · B · H` for the batch.
    case carriedStateMismatch(values: Int, expected: Int)
    /// The gradients could not be combined with the other processes' (`GradientReducer`):
    /// why. The weights were left as they were.
    case gradientExchange(String)
    /// The batch of step `step` (1-based), in 0-based `epoch`, does not fit the model
    /// (`SequenceModel.check`); nothing was computed.
    case invalidBatch(BatchError, step: Int, epoch: Int)

    public var description: String {
        switch self {
        case .nonFinite(let loss, let norm, let step, let epoch):
            func name(_ x: Double) -> String { x.isNaN ? "NaN" : (x > 0 ? "infinite" : "-infinite") }
            let what = loss.isFinite ? "the gradient norm became \(name(Double(norm)))" : "the training loss became \(name(loss))"
            return "\(what) at step \(step) (epoch \(epoch + 1))"
        case .carriedStateMismatch(let values, let expected):
            return
                "the carried state has \(values) values, which does not fit \(expected) (the model's state blocks × batch size × hidden size); it comes from another model or batch size"
        case .gradientExchange(let reason):
            return "the gradients could not be exchanged with the other processes: \(reason)"
        case .invalidBatch(let error, let step, let epoch):
            return "the batch of step \(step) (epoch \(epoch + 1)) does not fit the model: \(error)"
        }
    }
}
