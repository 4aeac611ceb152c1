import Linalg
import RNN
import RNNTraining
import Testing

/// The code of `RNNTraining.docc/GettingStarted.md`, run as written.
struct RNNTrainingGettingStartedTests {
    @Test func theArticleTrainsSavesResumesAndEvaluates() throws {
        var rng = SeededRandom(seed: 1)
        let (symbols, B, T) = (4, 32, 8)
        func makeBatch(_ rng: inout SeededRandom) -> ManyToOneModel.Batch {
            let lengths = (0..<B).map { _ in 3 + rng.index(below: T - 2) }
            var tokens = [Int32](repeating: -1, count: T * B)          // -1: padding
            for b in 0..<B { for t in 0..<lengths[b] { tokens[t * B + b] = Int32(rng.index(below: symbols)) } }
            return .init(input: .tokens(tokens), labels: (0..<B).map { tokens[$0] }, batchSize: B, lengths: lengths)
        }
        let train = BatchList((0..<10).map { _ in makeBatch(&rng) })
        let test = BatchList((0..<4).map { _ in makeBatch(&rng) })

        let model = ManyToOneModel(.init(inputSize: symbols, outputSize: symbols,
                                         recurrent: .init(cell: .gru, hiddenSize: 24)), using: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5)
        try trainer.train(on: train, for: .epochs(10))

        try withTemporaryFile { path in
            try ModelCheckpoint(model: model, optimizer: OptimizerState(capturing: trainer.optimizer),
                                training: trainer.trainingState(rngState: rng.state)).write(path: path)

            let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: path)
            let resumed = try Trainer(resuming: loaded, workers: 2)   // optimizer, schedule, clipping, position
            try resumed.train(on: train, for: .epochs(20))           // as if it had never stopped

            let (loss, _) = loaded.model.meanLoss(over: test)         // held-out cross-entropy
            let classes = loaded.model.predict(test.batches[0])       // [B] class indices
            #expect(loss < 0.3, "held-out loss \(loss)")
            #expect(zip(classes, test.batches[0].labels).filter { $0 == $1 }.count >= 28)
        }
    }
}
