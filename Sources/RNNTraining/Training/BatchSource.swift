import RNN

/// Where a `Trainer` gets its batches: a fixed number per epoch, each written into a
/// reused batch (so an epoch allocates nothing once the batch has its size).
///
/// A source whose batch `i + 1` continues the sequences of batch `i` (the char-rnn
/// scheme: parallel streams walked in chunks) sets `continuesSequences`, and the trainer
/// carries the model's state from one batch to the next (truncated BPTT), resetting it
/// at every epoch.
public protocol BatchSource {
    associatedtype Batch: SequenceBatch
    /// Batches in one epoch (at least 1).
    var batchesPerEpoch: Int { get }
    /// Whether consecutive batches of an epoch continue the same sequences.
    var continuesSequences: Bool { get }
    /// Writes batch `index` (in `0..<batchesPerEpoch`) of 0-based epoch `epoch` into
    /// `batch`, reusing its storage; a source may order its batches by epoch (shuffling).
    func fill(_ index: Int, epoch: Int, into batch: inout Batch)
}

/// Batches held in memory, the same every epoch (none continues another).
///
/// ```swift
/// let source = BatchList([batch0, batch1, batch2])
/// try trainer.train(on: source, for: .epochs(10))
/// ```
public struct BatchList<Batch: SequenceBatch>: BatchSource {
    public let batches: [Batch]
    public var continuesSequences: Bool { false }

    public init(_ batches: [Batch]) {
        precondition(!batches.isEmpty, "a BatchList needs at least one batch")
        self.batches = batches
    }

    public var batchesPerEpoch: Int { batches.count }
    public func fill(_ index: Int, epoch: Int, into batch: inout Batch) { batch = batches[index] }
}
