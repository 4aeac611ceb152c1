import Linalg
import RNN
import Testing

/// Batches built from arrays of sequences: the time-major layout and padding of
/// `pad_sequence`, errors that name the sequence at fault, and batches that give each
/// sequence's own result.
struct PaddedSequencesTests {
    @Test func tokensArePaddedTimeMajor() throws {
        let padded = try PaddedSequences(tokens: [[3, 1, 4], [1, 5], [9]])
        #expect(padded.steps == 3 && padded.batchSize == 3 && padded.lengths == [3, 2, 1])
        #expect(padded.tokens == [3, 1, 9, 1, 5, -1, 4, -1, -1])
        #expect(try padded.perStep([[0, 0, 1], [1, 0], [2]]) == [0, 1, 2, 0, 0, -1, 1, -1, -1])
    }

    @Test func rowsArePaddedWithZeros() throws {
        let padded = try PaddedSequences(rows: [[[1, 2], [3, 4]], [[5, 6]]])
        guard case .dense(let m) = padded.input else { Issue.record("not dense"); return }
        #expect(m.rows == 4 && m.cols == 2 && m.storage == [1, 2, 5, 6, 3, 4, 0, 0] && padded.lengths == [2, 1])
    }

    @Test func badDataThrowsNamingTheSequence() {
        #expect(throws: BatchError.noSequences) { try PaddedSequences(tokens: []) }
        #expect(throws: BatchError.emptySequence(1)) { try PaddedSequences(tokens: [[1], []]) }
        #expect(throws: BatchError.invalidToken(sequence: 0, step: 1, token: -2)) { try PaddedSequences(tokens: [[1, -2]]) }
        #expect(throws: BatchError.rowWidth(sequence: 1, step: 0, width: 3, expected: 2)) {
            try PaddedSequences(rows: [[[1, 2]], [[1, 2, 3]]])
        }
        #expect(throws: BatchError.nonFiniteValue(sequence: 0, step: 1)) { try PaddedSequences(rows: [[[1], [.nan]]]) }
        #expect(throws: BatchError.countMismatch(what: "labels", count: 1, expected: 2)) {
            try ManyToOneModel.Batch(sequences: [[1], [2]], labels: [0])
        }
        #expect(throws: BatchError.lengthMismatch(sequence: 0, length: 1, expected: 2)) {
            try ManyToManyModel.Batch(sequences: [[1, 2]], targets: [[0]])
        }
        #expect(BatchError.emptySequence(4).description == "sequence 4 is empty; every sequence needs at least one step")
    }

    /// A padded batch of a one-directional classifier and of a bidirectional tagger
    /// gives each sequence's loss as a batch of that sequence alone.
    @Test(arguments: [false, true])
    func aPaddedBatchEqualsEachSequenceAlone(bidirectional: Bool) throws {
        var rng = SeededRandom(seed: 5)
        let sequences = [[1, 2, 3, 0, 1], [3, 3], [2, 0, 1]]
        let classifier = ManyToOneModel(
            .init(
                inputSize: 4, outputSize: 3,
                recurrent: .init(cell: .gru, hiddenSize: 6, bidirectional: bidirectional)),
            using: &rng)
        let labels = [2, 0, 1]
        let whole = classifier.loss(try ManyToOneModel.Batch(sequences: sequences, labels: labels))
        let alone = try zip(sequences, labels).map { classifier.loss(try ManyToOneModel.Batch(sequences: [$0], labels: [$1])) }
        #expect(abs(whole - alone.reduce(0, +) / 3) < 1e-5, "\(whole) against \(alone)")

        let tagger = ManyToManyModel(
            .init(
                inputSize: 4, outputSize: 2,
                recurrent: .init(cell: .lstm, hiddenSize: 5, bidirectional: bidirectional)),
            using: &rng)
        let tags = sequences.map { $0.map { $0 % 2 } }
        let batch = try ManyToManyModel.Batch(sequences: sequences, targets: tags)
        let total = tagger.loss(batch) * Double(batch.countedTargets)
        let each = try zip(sequences, tags).map { s, t in
            let one = try ManyToManyModel.Batch(sequences: [s], targets: [t])
            return tagger.loss(one) * Double(one.countedTargets)
        }
        #expect(abs(total - each.reduce(0, +)) < 1e-4, "\(total) against \(each)")
    }
}
