import Linalg
import RNN
import RNNTraining
import Testing

/// The code of `RNNTraining.docc/GettingStarted.md`, run as written.
struct RNNTrainingGettingStartedTests {
    @Test func theArticleTrainsSavesResumesAndEvaluates() throws {
        var rng = SeededRandom(seed: 1)
        let (symbols, B, T) = (4, 32, 8)
        // B sequences of 3...T tokens, each labelled with its first token; the batch pads them.
        func makeBatch(_ rng: inout SeededRandom) throws -> ManyToOneModel.Batch {
            let lengths = (0..<B).map { _ in 3 + rng.index(below: T - 2) }
            let sequences = lengths.map { n in (0..<n).map { _ in rng.index(below: symbols) } }
            return try ManyToOneModel.Batch(sequences: sequences, labels: sequences.map { $0[0] })
        }
        let train = BatchList(try (0..<10).map { _ in try makeBatch(&rng) })
        let test = BatchList(try (0..<4).map { _ in try makeBatch(&rng) })

        let model = ManyToOneModel(
            .init(
                inputSize: symbols, outputSize: symbols,
                recurrent: .init(cell: .gru, hiddenSize: 24)), using: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5)
        try trainer.train(on: train, for: .epochs(10))

        try withTemporaryFile { path in
            try ModelCheckpoint(
                model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                training: trainer.trainingState(rngState: rng.state)
            ).write(path: path)

            let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path)
            let resumed = try Trainer(resuming: loaded, workers: 2)  // optimizer, schedule, clipping, position
            try resumed.train(on: train, for: .epochs(20))  // as if it had never stopped

            let (loss, _) = loaded.model.meanLoss(over: test)  // held-out cross-entropy
            let classes = loaded.model.predict(test.batches[0])  // [B] class indices
            #expect(loss < 0.3, "held-out loss \(loss)")
            #expect(zip(classes, test.batches[0].labels).filter { $0 == $1 }.count >= 28)
        }
    }
}
