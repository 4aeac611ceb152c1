import Linalg

// Each model's `check(_:)`: whether it can run a batch a user built, with a `BatchError`
// naming the sequence and step at fault. `Trainer` checks every batch before its step;
// a caller of `computeGradients` or `loss` can call it first. The models' own
// preconditions stay for what only a bug in the library could break.

extension ManyToManyModel {
    /// Throws unless `batch` fits this model: `[T*B]` tokens in the vocabulary (or rows of
    /// `inputSize` finite values), one target per row in `-1..<outputSize`, lengths in
    /// `1...T` with the padding's targets `-1`, and a state of `rnn.stateSize(batchSize: B)`.
    /// Padding (`-1` tokens) needs `lengths` in a bidirectional model; a one-directional
    /// one also takes it without them, as a run that ends a sequence with `-1` targets
    /// (nothing it reads afterwards counts).
    /// - Complexity: O(T·B), O(T·B·I) for dense rows.
    public func check(_ batch: Batch) throws(BatchError) {
        let B = batch.batchSize, rows = batch.input.rowCount
        let T = try BatchCheck.steps(rows: rows, batchSize: B, what: "input rows")
        guard batch.targets.count == rows else {
            throw .layout("\(batch.targets.count) targets for \(rows) input rows; give one per row (-1: not counted)")
        }
        try BatchCheck.embeddingTakesTokens(batch.input, embedding != nil)
        try BatchCheck.lengths(batch.lengths, steps: T, batchSize: B)
        var lengths = batch.lengths
        if lengths == nil, !rnn.isBidirectional, case .tokens(let tokens) = batch.input {
            lengths = BatchCheck.lengthsBeforeTrailingPadding(tokens, targets: batch.targets, steps: T, batchSize: B)
        }
        try BatchCheck.input(batch.input, steps: T, batchSize: B, size: configuration.inputSize, lengths: lengths)
        let targets = batch.targets
        try BatchCheck.targets(targets, steps: T, batchSize: B, classes: configuration.outputSize, lengths: batch.lengths)
        try BatchCheck.state(batch.initialState, expected: rnn.stateSize(batchSize: B))
    }
}

extension ManyToOneModel {
    /// Throws unless `batch` fits this model: `[T*B]` tokens in the vocabulary (or rows of
    /// `inputSize` finite values), padding (`-1`) only after each sequence's length, which
    /// `lengths` must give (the label is read at a sequence's last step), one label per
    /// sequence in `-1..<outputSize`, and a state of `rnn.stateSize(batchSize: B)`.
    /// - Complexity: O(T·B), O(T·B·I) for dense rows.
    public func check(_ batch: Batch) throws(BatchError) {
        let B = batch.batchSize
        let T = try BatchCheck.steps(rows: batch.input.rowCount, batchSize: B, what: "input rows")
        guard batch.labels.count == B else { throw .countMismatch(what: "labels", count: batch.labels.count, expected: B) }
        try BatchCheck.embeddingTakesTokens(batch.input, embedding != nil)
        try BatchCheck.lengths(batch.lengths, steps: T, batchSize: B)
        try BatchCheck.input(batch.input, steps: T, batchSize: B, size: configuration.inputSize, lengths: batch.lengths)
        try BatchCheck.targets(batch.labels, steps: 1, batchSize: B, classes: configuration.outputSize, labels: true)
        try BatchCheck.state(batch.initialState, expected: rnn.stateSize(batchSize: B))
    }
}

extension OneToManyModel {
    /// Throws unless `batch` fits this model: `[B, featureSize]` finite features, and
    /// `[T*B]` targets in `-1..<vocabularySize`, padded (`-1`) only at each sequence's end
    /// (the decoder reads them back as its inputs).
    /// - Complexity: O(T·B + B·F).
    public func check(_ batch: Batch) throws(BatchError) {
        let B = batch.features.rows
        guard batch.features.cols == initial.inputSize else {
            throw .layout("features have \(batch.features.cols) values a sequence; the model takes \(initial.inputSize)")
        }
        let T = try BatchCheck.steps(rows: batch.targets.count, batchSize: B, what: "targets")
        try BatchCheck.finiteRows(batch.features, batchSize: B)
        try BatchCheck.targets(batch.targets, steps: T, batchSize: B, classes: fc.outputSize)
        try BatchCheck.paddedAtEnd(batch.targets, steps: T, batchSize: B)
    }
}

extension EncoderDecoderModel {
    /// Throws unless `batch` fits this model: `[Ts*B]` source tokens in the source
    /// vocabulary within each source's length (in `1...Ts`), `[Tt*B]` targets in
    /// `-1..<targetVocabularySize`, padded (`-1`) only at each target's end.
    /// - Complexity: O((Ts + Tt)·B).
    public func check(_ batch: Batch) throws(BatchError) {
        let B = batch.batchSize
        let Ts = try BatchCheck.steps(rows: batch.source.count, batchSize: B, what: "source tokens")
        guard batch.sourceLengths.count == B else {
            throw .countMismatch(what: "source lengths", count: batch.sourceLengths.count, expected: B)
        }
        try BatchCheck.lengths(batch.sourceLengths, steps: Ts, batchSize: B)
        try BatchCheck.input(
            .tokens(batch.source), steps: Ts, batchSize: B, size: encoder.inputSize,
            lengths: batch.sourceLengths)
        let Tt = try BatchCheck.steps(rows: batch.targets.count, batchSize: B, what: "targets")
        try BatchCheck.targets(batch.targets, steps: Tt, batchSize: B, classes: fc.outputSize)
        try BatchCheck.paddedAtEnd(batch.targets, steps: Tt, batchSize: B)
    }
}
