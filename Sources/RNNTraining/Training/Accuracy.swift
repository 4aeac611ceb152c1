import RNN

extension ManyToOneModel {
    /// The fraction of `source`'s sequences (one epoch) whose predicted class is their
    /// label, over the labels that count (not `-1`), and that count; NaN and 0 when none.
    /// Batches follow each other as in `meanLoss(over:)`.
    /// - Complexity: one forward pass per batch.
    public func accuracy<Source: BatchSource>(over source: Source, epoch: Int = 0) -> (accuracy: Double, count: Int)
    where Source.Batch == Batch {
        var right = 0, count = 0
        forEachBatch(of: source, epoch: epoch) { batch in
            for (predicted, label) in zip(predict(batch), batch.labels) where label >= 0 {
                count += 1
                if predicted == label { right += 1 }
            }
        }
        return (count > 0 ? Double(right) / Double(count) : .nan, count)
    }
}

extension ManyToManyModel {
    /// The fraction of `source`'s counted targets (one epoch; not `-1`) whose most likely
    /// class is the target — a tagger's per-token accuracy, a language model's top-1 next
    /// token — carrying the state from batch to batch when the source continues its
    /// sequences, as `meanLoss(over:)` does; NaN and 0 when none count.
    /// - Complexity: one forward pass per batch, plus O(T·B·O) for the arg-maxes.
    public func accuracy<Source: BatchSource>(over source: Source, epoch: Int = 0) -> (accuracy: Double, count: Int)
    where Source.Batch == Batch {
        var right = 0, count = 0
        forEachBatch(of: source, epoch: epoch) { batch in
            let logits = forward(
                batch.input, batchSize: batch.batchSize, initialState: batch.initialState,
                lengths: batch.lengths)
            let O = logits.cols
            logits.storage.withUnsafeBufferPointer { z in
                for (row, target) in batch.targets.enumerated() where target >= 0 {
                    let scores = z[(row * O)..<((row + 1) * O)]
                    count += 1
                    if scores.indices.max(by: { scores[$0] < scores[$1] })! - row * O == Int(target) { right += 1 }
                }
            }
        }
        return (count > 0 ? Double(right) / Double(count) : .nan, count)
    }
}
