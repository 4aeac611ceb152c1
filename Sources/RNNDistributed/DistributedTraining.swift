import Linalg
import RNN
import RNNTraining

/// What data-parallel training needs besides the gradient all-reduce: one start for every
/// rank (rank 0's parameters and random state), the validation loss over every rank's
/// share, and the whole batch's carried state on rank 0 for its checkpoint.
extension Communicator {
    /// Rank `root`'s parameter values into every rank's (PyTorch DDP's start: whatever each
    /// rank initialized, all train from the same weights). One `MPI_Bcast` of `4P` bytes.
    public func broadcastValues(of parameters: ParameterStore, from root: Int = 0) throws(DistributedError) {
        let failure: DistributedError? = parameters.values.withUnsafeMutableBufferPointer { p in
            do throws(DistributedError) { try broadcast(p, from: root) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Rank `root`'s generator state into every rank's generator.
    public func broadcast(_ rng: inout SeededRandom, from root: Int = 0) throws(DistributedError) {
        var state = rng.state
        try broadcast(&state, from: root)
        rng.state = state
    }

    /// The mean loss of `model` over one epoch of the whole source, each rank evaluating
    /// its `share` of every batch (`RankBatchSource`; a rank whose share is empty counts
    /// nothing), combined as `Σ n_r · loss_r / Σ n_r`: the same value on every rank.
    /// - Complexity: the source's forward passes divided over the ranks, plus one
    ///   all-reduce of two doubles.
    public func meanLoss<Model: SequenceModel, Source: BatchSource>(
        of model: Model, over source: Source, share: RankShare,
        epoch: Int = 0
    ) throws(DistributedError)
        -> (loss: Double, count: Int) where Source.Batch == Model.Batch
    {
        var sums = [0.0, 0.0]
        if !share.sequences.isEmpty {
            let local = model.meanLoss(over: RankBatchSource(source, share: share, stateBlocks: model.stateBlocks), epoch: epoch)
            if local.count > 0 { sums = [local.loss * Double(local.count), Double(local.count)] }
        }
        try allReduceSum(&sums)
        return (sums[1] > 0 ? sums[0] / sums[1] : .nan, Int(sums[1]))
    }

    /// The whole batch's state `[blocks, B, width]` on `root`, from every rank's
    /// `[blocks, share_r, width]` (nil on the other ranks, and everywhere when the ranks
    /// carry none, e.g. at an epoch's start: all ranks are at the same position).
    /// - Complexity: one `MPI_Gatherv` of `4 · blocks · B · width` bytes.
    public func wholeState(_ local: [Float]?, share: RankShare, blocks: Int, width: Int, root: Int = 0) throws(DistributedError)
        -> [Float]?
    {
        guard let local else { return nil }
        let counts = share.all.map { blocks * $0.count * width }
        guard let parts = try gather(local, counts: counts, root: root) else { return nil }
        return share.wholeState(from: parts, blocks: blocks, width: width)
    }
}
