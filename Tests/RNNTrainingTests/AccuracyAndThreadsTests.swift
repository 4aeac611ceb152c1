import Linalg
import RNN
import RNNTraining
import Testing

/// The accuracy helpers against a count made by hand, and the scoped multi-threaded
/// inference call.
struct AccuracyAndThreadsTests {
    static func sequences(_ rng: inout SeededRandom, count: Int) -> [[Int]] {
        (0..<count).map { _ in (0..<(2 + rng.index(below: 5))).map { _ in rng.index(below: 4) } }
    }

    @Test func aClassifiersAccuracyCountsItsRightLabels() throws {
        var rng = SeededRandom(seed: 7)
        let model = ManyToOneModel(.init(inputSize: 4, outputSize: 3, recurrent: .init(cell: .gru, hiddenSize: 8)), using: &rng)
        let batches = try (0..<3).map { _ in
            let s = Self.sequences(&rng, count: 10)
            return try ManyToOneModel.Batch(sequences: s, labels: s.indices.map { $0 == 0 ? -1 : s[$0][0] % 3 })
        }
        var right = 0
        for batch in batches {
            right += zip(model.predict(batch), batch.labels).filter { $0.1 >= 0 && $0.0 == $0.1 }.count
        }
        let (accuracy, count) = model.accuracy(over: BatchList(batches))
        #expect(count == 27)  // the first label of each batch is not counted
        #expect(accuracy == Double(right) / 27)
    }

    @Test func aTaggersAccuracyCountsItsRightSteps() throws {
        var rng = SeededRandom(seed: 8)
        let model = ManyToManyModel(
            .init(inputSize: 4, outputSize: 2, recurrent: .init(cell: .lstm, hiddenSize: 6)),
            using: &rng)
        let s = Self.sequences(&rng, count: 6)
        let batch = try ManyToManyModel.Batch(sequences: s, targets: s.map { $0.map { $0 % 2 } })
        let logits = model.forward(batch.input, batchSize: batch.batchSize, lengths: batch.lengths)
        var right = 0, count = 0
        for (r, target) in batch.targets.enumerated() where target >= 0 {
            count += 1
            if (logits[r, 1] > logits[r, 0] ? 1 : 0) == target { right += 1 }
        }
        let measured = model.accuracy(over: BatchList([batch]))
        #expect(measured.count == count && count == s.map(\.count).reduce(0, +))
        #expect(measured.accuracy == Double(right) / Double(count))
    }

    /// `withThreads(2)` gives one thread's loss (up to the GEMMs' rounding) and leaves the
    /// model's team as it found it.
    @Test func withThreadsSetsAndRestoresTheTeam() throws {
        var rng = SeededRandom(seed: 9)
        let model = ManyToManyModel(
            .init(inputSize: 4, outputSize: 4, recurrent: .init(cell: .gru, hiddenSize: 32)),
            using: &rng)
        let s = Self.sequences(&rng, count: 3)
        let batch = try ManyToManyModel.Batch(sequences: s, targets: s.map { $0.map { ($0 + 1) % 4 } })
        let alone = model.loss(batch)
        let split = model.withThreads(2) { () -> Double in
            #expect(model.team?.size == 2)
            return model.loss(batch)
        }
        #expect(abs(split - alone) < 1e-5, "\(split) against \(alone)")
        #expect(model.team == nil)
    }
}

/// A text too short for its streams says why and how much it needs.
struct TokenStreamsErrorTests {
    @Test func aShortTextSaysWhatItNeeds() throws {
        let tokens = TokenSequence([Int32](repeating: 1, count: 100))
        #expect(throws: TokenStreamsError(tokens: 100, batchSize: 4, seqLength: 32, partialChunks: false)) {
            try TokenStreams.cutting(tokens, batchSize: 4, seqLength: 32, partialChunks: false)
        }
        let error = TokenStreamsError(tokens: 100, batchSize: 4, seqLength: 32, partialChunks: false)
        #expect(error.tokensNeeded == 129)
        #expect(
            error.description
                == "100 tokens cut into 4 streams leave each stream 24 inputs, too few for a chunk of 32 steps; give at least 129 tokens, or a smaller batchSize or seqLength"
        )
        // 129 tokens are enough, and give one chunk.
        let enough = try TokenStreams.cutting(
            TokenSequence([Int32](repeating: 1, count: 129)), batchSize: 4, seqLength: 32,
            partialChunks: false)
        #expect(enough.chunkCount == 1)
        #expect(throws: TokenStreamsError.self) { try TokenStreams.cutting(tokens, batchSize: 0, seqLength: 1, partialChunks: true) }
    }
}
