import RNN

/// Combines a step's gradients across processes (data parallelism over machines, e.g.
/// `RNNDistributed`'s MPI all-reduce). `Trainer` calls it right after each step's
/// gradients are computed on this process's share of the batch, before the gradient
/// observer, clipping and the optimizer, so that those run on the whole batch's gradient,
/// identically on every process.
public protocol GradientReducer: AnyObject {
    /// Replaces `parameters.gradients` (d(mean loss)/d(parameters) over this process's
    /// `countedTargets` predictions, mean loss `loss`) with the gradient of the mean loss
    /// over every process's predictions, and returns that mean loss and the predictions
    /// it counts.
    /// - Throws: `TrainingError.gradientExchange` when the processes cannot communicate.
    func reduce(_ parameters: ParameterStore, loss: Double, countedTargets: Int) throws(TrainingError)
        -> (loss: Double, countedTargets: Int)
}
