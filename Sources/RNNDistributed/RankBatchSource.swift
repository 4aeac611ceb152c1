import RNN
import RNNTraining

/// This rank's share of another source's batches: batch `i` is `source`'s batch `i`
/// narrowed to the sequences `share` (`SequenceBatch.takeSequences`), so that N ranks each
/// training their `RankBatchSource` of the same source together train its whole batches.
///
/// ```swift
/// let share = RankShare(rank: world.rank, ranks: world.size, batchSize: streams.batchSize)
/// let mine = RankBatchSource(streams, share: share)
/// try trainer.train(on: mine, for: .epochs(10))
/// ```
/// - Complexity: per batch, filling the whole batch (`O(T·B)` tokens) and copying this
///   rank's `O(T·B/N)`; the whole batch is kept, so nothing is allocated once it has its size.
public final class RankBatchSource<Source: BatchSource>: BatchSource {
    public typealias Batch = Source.Batch
    public let source: Source
    public let share: RankShare
    /// The state blocks of the model (for the sequences' initial state).
    public let stateBlocks: Int
    private var whole = Source.Batch()

    public init(_ source: Source, share: RankShare, stateBlocks: Int = 1) {
        self.source = source
        self.share = share
        self.stateBlocks = stateBlocks
    }

    public var batchesPerEpoch: Int { source.batchesPerEpoch }
    public var continuesSequences: Bool { source.continuesSequences }

    public func fill(_ index: Int, epoch: Int, into batch: inout Batch) {
        source.fill(index, epoch: epoch, into: &whole)
        precondition(
            whole.batchSize == share.batchSize, "the source's batch has \(whole.batchSize) sequences, the share is of \(share.batchSize)")
        batch.takeSequences(share.sequences, of: whole, stateBlocks: stateBlocks)
    }
}
