import Linalg
import RNN
import Testing

/// Every model's `check(_:)`: a batch that fits passes, and each kind of mistake a user
/// makes throws the `BatchError` that names it, instead of a trap inside the model.
struct BatchCheckTests {
    static func tagger(bidirectional: Bool = false) -> ManyToManyModel {
        var rng = SeededRandom(seed: 11)
        return ManyToManyModel(
            .init(
                inputSize: 4, outputSize: 3,
                recurrent: .init(
                    cell: .gru, hiddenSize: 5,
                    bidirectional: bidirectional)),
            using: &rng)
    }

    @Test func aManyToManyBatchIsCheckedAgainstTheModel() throws {
        let model = Self.tagger()
        // T = 2, B = 2: rows (t, b) = (0,0) (0,1) (1,0) (1,1).
        func batch(_ tokens: [Int32], _ targets: [Int32], lengths: [Int]? = nil, state: [Float]? = nil) -> ManyToManyModel.Batch {
            .init(input: .tokens(tokens), targets: targets, batchSize: 2, initialState: state, lengths: lengths)
        }
        try model.check(batch([0, 1, 2, 3], [0, 1, 2, 0]))
        try model.check(try ManyToManyModel.Batch(sequences: [[1, 2, 3], [0]], targets: [[0, 1, 2], [2]]))
        #expect(throws: BatchError.tokenOutsideVocabulary(sequence: 1, step: 1, token: 4, vocabularySize: 4)) {
            try model.check(batch([0, 1, 2, 4], [0, 1, 2, 0]))
        }
        #expect(throws: BatchError.targetOutsideClasses(sequence: 0, step: 1, target: 3, classes: 3)) {
            try model.check(batch([0, 1, 2, 3], [0, 1, 3, 0]))
        }
        #expect(throws: BatchError.lengthOutOfRange(sequence: 1, length: 3, steps: 2)) {
            try model.check(batch([0, 1, 2, 3], [0, 1, 2, 0], lengths: [2, 3]))
        }
        var oneLength = batch([0, 1, 2, 3], [0, 1, 2, 0])
        oneLength.lengths = [2]  // a field set after the initializer's checks
        #expect(throws: BatchError.countMismatch(what: "lengths", count: 1, expected: 2)) { try model.check(oneLength) }
        // Padding inside a sequence's length, and a counted target after its end.
        #expect(throws: BatchError.paddingInsideSequence(sequence: 1, step: 1)) {
            try model.check(batch([0, 1, 2, -1], [0, 1, 2, -1], lengths: [2, 2]))
        }
        #expect(throws: (any Error).self) { try model.check(batch([0, 1, 2, -1], [0, 1, 2, 1], lengths: [2, 1])) }
        // Without lengths a one-directional model ignores padding whose target is -1,
        // and rejects padding it would train on.
        try model.check(batch([0, 1, 2, -1], [0, 1, 2, -1]))
        #expect(throws: BatchError.paddingInsideSequence(sequence: 1, step: 1)) {
            try model.check(batch([0, 1, 2, -1], [0, 1, 2, 0]))
        }
        // Padding at a sequence's start is read (the bias alone moves the state), even
        // with a -1 target: it needs lengths, which only pad at the end.
        #expect(throws: BatchError.paddingInsideSequence(sequence: 0, step: 0)) {
            try model.check(batch([-1, 1, 2, 3], [-1, 1, 2, 0]))
        }
        #expect(throws: (any Error).self) { try model.check(batch([0, 1, 2], [0, 1, 2])) }
        #expect(throws: (any Error).self) { try model.check(batch([0, 1, 2, 3], [0, 1, 2, 0], state: [0, 0])) }
        try model.check(batch([0, 1, 2, 3], [0, 1, 2, 0], state: [Float](repeating: 0, count: 10)))
    }

    /// A bidirectional layer reads a sequence from its end: padding without lengths
    /// would run it over the padding, so it is refused even where the target is -1.
    @Test func aBidirectionalModelNeedsLengthsForPadding() throws {
        let model = Self.tagger(bidirectional: true)
        let padded = ManyToManyModel.Batch(input: .tokens([0, 1, 2, -1]), targets: [0, 1, 2, -1], batchSize: 2)
        #expect(throws: BatchError.paddingInsideSequence(sequence: 1, step: 1)) { try model.check(padded) }
        var withLengths = padded
        withLengths.lengths = [2, 1]
        try model.check(withLengths)
    }

    @Test func aModelWithAnEmbeddingTakesTokensOnly() throws {
        var rng = SeededRandom(seed: 16)
        let model = ManyToManyModel(
            .init(inputSize: 4, outputSize: 4, recurrent: .init(hiddenSize: 6), embeddingSize: 3), using: &rng)
        let rows = ManyToManyModel.Batch(input: .dense(Matrix(rows: 2, cols: 4)), targets: [0, 1], batchSize: 1)
        #expect(throws: BatchError.layout("the model has an embedding: it takes token ids, not rows of values")) {
            try model.check(rows)
        }
        try model.check(ManyToManyModel.Batch(input: .tokens([0, 3]), targets: [1, 2], batchSize: 1))
    }

    @Test func denseRowsAreCheckedForWidthAndFiniteValues() throws {
        var rng = SeededRandom(seed: 12)
        let model = ManyToOneModel(.init(inputSize: 2, outputSize: 2, recurrent: .init(hiddenSize: 4)), using: &rng)
        try model.check(try ManyToOneModel.Batch(sequences: [[[1, 2], [3, 4]], [[5, 6]]], labels: [0, 1]))
        let nanOne = ManyToOneModel.Batch(
            input: .dense(Matrix(rows: 2, cols: 2, storage: [1, 2, .nan, 4])), labels: [0],
            batchSize: 1)
        #expect(throws: BatchError.nonFiniteValue(sequence: 0, step: 1)) { try model.check(nanOne) }
        let wide = try ManyToOneModel.Batch(sequences: [[[1, 2, 3]]], labels: [0])
        #expect(throws: (any Error).self) { try model.check(wide) }
    }

    @Test func aClassifierNeedsLengthsForPaddingAndLabelsInItsClasses() throws {
        var rng = SeededRandom(seed: 13)
        let model = ManyToOneModel(.init(inputSize: 5, outputSize: 2, recurrent: .init(hiddenSize: 4)), using: &rng)
        let padded = ManyToOneModel.Batch(input: .tokens([1, 2, 3, -1]), labels: [0, 1], batchSize: 2)
        #expect(throws: BatchError.paddingInsideSequence(sequence: 1, step: 1)) { try model.check(padded) }
        try model.check(try ManyToOneModel.Batch(sequences: [[1, 3], [2]], labels: [0, 1]))
        let label = try ManyToOneModel.Batch(sequences: [[1, 3], [2]], labels: [0, 2])
        #expect(throws: BatchError.targetOutsideClasses(sequence: 1, step: -1, target: 2, classes: 2)) { try model.check(label) }
        #expect(
            "\(BatchError.targetOutsideClasses(sequence: 1, step: -1, target: 2, classes: 2))"
                == "sequence 1: label 2 is outside the model's classes 0..<2 (or -1, not counted)")
    }

    @Test func encoderDecoderBatchesAreBuiltAndChecked() throws {
        var rng = SeededRandom(seed: 14)
        let model = EncoderDecoderModel(
            .init(
                sourceVocabularySize: 4, targetVocabularySize: 6, startToken: 4, endToken: 5,
                recurrent: .init(hiddenSize: 8)), using: &rng)
        let batch = try EncoderDecoderModel.Batch(sources: [[1, 2, 3], [2]], targets: [[3, 2, 1, 5], [2, 5]])
        #expect(batch.source == [1, 2, 2, -1, 3, -1] && batch.sourceLengths == [3, 1])
        #expect(batch.targets == [3, 2, 2, 5, 1, -1, 5, -1] && batch.batchSize == 2)
        try model.check(batch)
        #expect(throws: BatchError.countMismatch(what: "target sequences", count: 1, expected: 2)) {
            try EncoderDecoderModel.Batch(sources: [[1], [2]], targets: [[5]])
        }
        #expect(throws: BatchError.tokenOutsideVocabulary(sequence: 0, step: 1, token: 4, vocabularySize: 4)) {
            try model.check(try EncoderDecoderModel.Batch(sources: [[1, 4]], targets: [[5]]))
        }
        #expect(throws: BatchError.targetOutsideClasses(sequence: 0, step: 0, target: 6, classes: 6)) {
            try model.check(try EncoderDecoderModel.Batch(sources: [[1]], targets: [[6]]))
        }
        let gap = EncoderDecoderModel.Batch(source: [1], sourceLengths: [1], targets: [2, -1, 5], batchSize: 1)
        #expect(throws: BatchError.paddingInsideSequence(sequence: 0, step: 1)) { try model.check(gap) }
        // The built batch trains as the hand-laid one does.
        let hand = EncoderDecoderModel.Batch(
            source: [1, 2, 2, -1, 3, -1], sourceLengths: [3, 1],
            targets: [3, 2, 2, 5, 1, -1, 5, -1], batchSize: 2)
        #expect(model.loss(batch) == model.loss(hand))
    }

    @Test func oneToManyBatchesAreBuiltAndChecked() throws {
        var rng = SeededRandom(seed: 15)
        let model = OneToManyModel(featureSize: 2, vocabularySize: 5, hiddenSize: 6, startToken: 4, using: &rng)
        let batch = try OneToManyModel.Batch(features: [[0.5, 1], [1, 0]], targets: [[3, 1, 2], [1]])
        #expect(batch.features.storage == [0.5, 1, 1, 0] && batch.targets == [3, 1, 1, -1, 2, -1])
        try model.check(batch)
        #expect(throws: BatchError.rowWidth(sequence: 1, step: 0, width: 1, expected: 2)) {
            try OneToManyModel.Batch(features: [[0.5, 1], [1]], targets: [[3], [1]])
        }
        #expect(throws: BatchError.targetOutsideClasses(sequence: 1, step: 0, target: 5, classes: 5)) {
            try model.check(try OneToManyModel.Batch(features: [[0, 0], [1, 1]], targets: [[3], [5]]))
        }
        #expect(throws: BatchError.nonFiniteValue(sequence: 0, step: 0)) {
            try model.check(OneToManyModel.Batch(features: Matrix(rows: 1, cols: 2, storage: [.infinity, 0]), targets: [1]))
        }
    }
}
