// Each model's `Batch` from arrays of sequences (`PaddedSequences`): padding, lengths and
// the time-major layout done, the data validated with thrown errors.

extension ManyToOneModel.Batch {
    /// Token sequences of any lengths, each with one label (a class index).
    ///
    /// ```swift
    /// let batch = try ManyToOneModel.Batch(sequences: [[3, 1, 4], [1, 5]], labels: [3, 1])
    /// ```
    /// - Throws: `BatchError` (see `PaddedSequences`), or `countMismatch` when there is
    ///   not one label a sequence.
    public init(sequences: [[Int]], labels: [Int]) throws(BatchError) {
        try self.init(try PaddedSequences(tokens: sequences), labels: labels)
    }

    /// Sequences of `[Float]` rows (all of one width) of any lengths, each with one label.
    public init(sequences: [[[Float]]], labels: [Int]) throws(BatchError) {
        try self.init(try PaddedSequences(rows: sequences), labels: labels)
    }

    /// `padded` with one label a sequence.
    public init(_ padded: PaddedSequences, labels: [Int]) throws(BatchError) {
        guard labels.count == padded.batchSize else {
            throw .countMismatch(what: "labels", count: labels.count, expected: padded.batchSize)
        }
        var checked: [Int32] = []
        for (b, label) in labels.enumerated() {
            guard label >= -1 && label <= Int(Int32.max) else { throw .invalidToken(sequence: b, step: 0, token: label) }
            checked.append(Int32(label))
        }
        self.init(input: padded.input, labels: checked, batchSize: padded.batchSize, lengths: padded.lengths)
    }
}

extension ManyToManyModel.Batch {
    /// Token sequences of any lengths with a target at every step (a tagger's tags, or a
    /// language model's next tokens); the padding's targets are not counted.
    ///
    /// ```swift
    /// let batch = try ManyToManyModel.Batch(sequences: [[3, 1, 4], [1, 5]], targets: [[0, 0, 1], [0, 1]])
    /// ```
    /// - Throws: `BatchError` (see `PaddedSequences`), `countMismatch` when there is not
    ///   one target sequence a sequence, `lengthMismatch` when one's length differs.
    public init(sequences: [[Int]], targets: [[Int]]) throws(BatchError) {
        let padded = try PaddedSequences(tokens: sequences)
        self.init(
            input: padded.input, targets: try padded.perStep(targets), batchSize: padded.batchSize,
            lengths: padded.lengths)
    }

    /// Sequences of `[Float]` rows with a target at every step.
    public init(sequences: [[[Float]]], targets: [[Int]]) throws(BatchError) {
        let padded = try PaddedSequences(rows: sequences)
        self.init(
            input: padded.input, targets: try padded.perStep(targets), batchSize: padded.batchSize,
            lengths: padded.lengths)
    }
}

extension OneToManyModel.Batch {
    /// One feature vector per sequence (all of one width) and its token sequence, of any
    /// length, padded with `-1` after its end (PyTorch's `pad_sequence`): a captioner's
    /// image features and caption.
    ///
    /// ```swift
    /// let batch = try OneToManyModel.Batch(features: [[0.5, 1], [1, 0]], targets: [[3, 1, 4], [1, 5]])
    /// ```
    /// - Throws: `BatchError` for no sequences, an empty target sequence, a token outside
    ///   `0...Int32.max`, features of different widths or not finite, or not one target
    ///   sequence per feature vector.
    /// - Complexity: O(T·B + B·F).
    public init(features: [[Float]], targets: [[Int]]) throws(BatchError) {
        guard targets.count == features.count else {
            throw .countMismatch(what: "target sequences", count: targets.count, expected: features.count)
        }
        let rows = try PaddedSequences(rows: features.map { [$0] })  // one step each: [B, F]
        guard case .dense(let matrix) = rows.input else { preconditionFailure("rows give dense input") }
        self.init(features: matrix, targets: try PaddedSequences(tokens: targets).tokens)
    }
}

extension EncoderDecoderModel.Batch {
    /// Source and target token sequences of any lengths, each padded with `-1` after its
    /// end; the sources' lengths are kept for the encoder. Each target ends as the decoder
    /// should learn to end (with the model's end token); the decoder is fed the start
    /// token and then the target, one step behind.
    ///
    /// ```swift
    /// let batch = try EncoderDecoderModel.Batch(sources: [[1, 2, 3], [2]], targets: [[3, 2, 1, end], [2, end]])
    /// ```
    /// - Throws: `BatchError` for no sequences, an empty source or target, a token outside
    ///   `0...Int32.max`, or not one target per source.
    /// - Complexity: O((Ts + Tt)·B).
    public init(sources: [[Int]], targets: [[Int]]) throws(BatchError) {
        guard targets.count == sources.count else {
            throw .countMismatch(what: "target sequences", count: targets.count, expected: sources.count)
        }
        let source = try PaddedSequences(tokens: sources)
        self.init(
            source: source.tokens, sourceLengths: source.lengths, targets: try PaddedSequences(tokens: targets).tokens,
            batchSize: source.batchSize)
    }
}
