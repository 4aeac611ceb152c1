import RNN

/// Step counters, random generator state and the carried hidden state of a training
/// run, so that a resumed run continues exactly where the checkpoint was taken.
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
    /// values (`[parts, numLayers, B, H]` flattened, parts = 2 for the LSTM: h then c),
    /// or nil at an epoch boundary (zeros).
    public var hiddenState: [Float]?

    public init(step: Int, epoch: Int, stepInEpoch: Int, rngState: [UInt32], hiddenState: [Float]? = nil) {
        precondition(rngState.count == 4, "rngState has 4 words, got \(rngState.count)")
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.rngState = rngState
        self.hiddenState = hiddenState
    }
}

/// An optimizer's name, learning rate, step count and moment buffers (each of the
/// parameter buffer's layout), detached from the optimizer object.
public struct OptimizerState: Equatable, Sendable {
    /// `adam`, `sgd`, `adagrad` or `rmsprop` (see `makeOptimizer(named:learningRate:)`).
    public var name: String
    public var learningRate: Float
    public var stepCount: Int
    /// Buffer name (e.g. `exp_avg`) -> values, in the parameter buffer's layout.
    public var buffers: [String: [Float]]

    public init(name: String, learningRate: Float, stepCount: Int, buffers: [String: [Float]]) {
        self.name = name
        self.learningRate = learningRate
        self.stepCount = stepCount
        self.buffers = buffers
    }

    /// The current state of `optimizer`.
    public init(capturing optimizer: Optimizer) {
        self.init(name: optimizer.name, learningRate: optimizer.learningRate, stepCount: optimizer.stepCount,
                  buffers: optimizer.stateBuffers)
    }

    /// A new optimizer (PyTorch defaults besides the learning rate) in this state, for
    /// the parameters in `store`. Throws when the name is unknown, a buffer does not have
    /// `store.count` values, or the buffers are not the ones this optimizer keeps.
    public func makeOptimizer(for store: ParameterStore) throws(CheckpointError) -> Optimizer {
        guard let optimizer = RNN.makeOptimizer(named: name, learningRate: learningRate) else {
            throw .unknownOptimizer(name)
        }
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
            throw .optimizerState(extra.isEmpty
                ? "\(name) needs the buffers \(missing.joined(separator: ", "))"
                : "\(name) keeps no buffer named \(extra.joined(separator: ", "))")
        }
        return optimizer
    }
}
