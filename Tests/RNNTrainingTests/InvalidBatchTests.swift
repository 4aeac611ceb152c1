import Linalg
import RNN
import RNNTraining
import Testing

/// A batch that does not fit the model stops training with an error a caller can catch,
/// before anything runs: the weights, the optimizer and the position stay as they were.
struct InvalidBatchTests {
    @Test func aTokenOutsideTheVocabularyStopsTheStepWithAnError() throws {
        var rng = SeededRandom(seed: 21)
        let model = ManyToOneModel(.init(inputSize: 4, outputSize: 2, recurrent: .init(cell: .lstm, hiddenSize: 6)), using: &rng)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2)
        let good = try ManyToOneModel.Batch(sequences: [[1, 2, 3], [0, 1]], labels: [0, 1])
        try trainer.step(good)
        let before = model.parameters.values
        let bad = try ManyToOneModel.Batch(sequences: [[1, 2, 3], [0, 7]], labels: [0, 1])
        let error = BatchError.tokenOutsideVocabulary(sequence: 1, step: 1, token: 7, vocabularySize: 4)
        #expect(throws: TrainingError.invalidBatch(error, step: 2, epoch: 0)) { try trainer.step(bad) }
        #expect(model.parameters.values == before && trainer.position.step == 1)
        #expect(
            TrainingError.invalidBatch(error, step: 2, epoch: 0).description
                == "the batch of step 2 (epoch 1) does not fit the model: sequence 1, step 1: token 7 is outside the model's vocabulary 0..<4"
        )
        // train(on:) stops at the same batch, after training on the good one.
        let fresh = Trainer(model: model, optimizer: Adam(learningRate: 0.01))
        #expect(throws: TrainingError.invalidBatch(error, step: 2, epoch: 0)) {
            try fresh.train(on: BatchList([good, bad]), for: .epochs(1))
        }
        #expect(fresh.position.step == 1 && model.parameters.values != before)
    }
}
