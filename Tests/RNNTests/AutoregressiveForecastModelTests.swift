import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// The autoregressive forecaster: every parameter's gradient against finite differences
/// through the teacher-forced loss (into the encoder through the decoder's initial state),
/// prediction feeding its own forecasts back, and a checkpoint round trip.
struct AutoregressiveForecastModelTests {
    static func batch(_ model: AutoregressiveForecastModel, steps T: Int, batchSize B: Int, using rng: inout SeededRandom)
        -> ForecastModel.Batch
    {
        ForecastModel.Batch(
            input: .dense(Matrix.random(T * B, model.configuration.inputSize, using: &rng)),
            targets: (0..<(B * model.configuration.valueCount)).map { _ in rng.uniform(-1, 1) }, batchSize: B)
    }

    @Test(
        .precision(.fp32),
        arguments: [
            (RecurrentCell.lstm, ForecastLoss.squaredError), (.gru, .quantiles([0.1, 0.5, 0.9])), (.rnn, .absoluteError),
        ])
    func gradientsMatchFiniteDifferences(_ cell: RecurrentCell, _ loss: ForecastLoss) throws {
        var rng = SeededRandom(seed: 43)
        let model = AutoregressiveForecastModel(
            .init(inputSize: 3, horizon: 3, targetCount: 2, loss: loss, recurrent: .init(cell: cell, hiddenSize: 5, numLayers: 2)),
            using: &rng)
        let batch = Self.batch(model, steps: 4, batchSize: 3, using: &rng)
        try model.check(batch)
        model.computeGradients(batch)
        #expect(model.parameters.gradient("encoder.weight_ih_l0").contains { $0 != 0 }, "no gradient reached the encoder")
        let bad = GradientCheck(kinks: loss.kind != .squaredError).checkParameters(model.parameters) { model.loss(batch) }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    /// With its own point forecasts as the targets, the teacher-forced run reads what
    /// prediction fed back: the squared error is 0 (up to rounding), and the first step,
    /// which both read from the window, is the same forecast.
    @Test(.precision(.fp32)) func predictionFeedsItsForecastsBack() {
        var rng = SeededRandom(seed: 5)
        let model = AutoregressiveForecastModel(
            .init(inputSize: 2, horizon: 5, targetCount: 1, recurrent: .init(cell: .lstm, hiddenSize: 6)), using: &rng)
        var batch = Self.batch(model, steps: 6, batchSize: 4, using: &rng)
        let predicted = model.predict(batch.input, batchSize: 4)
        #expect(predicted.rows == 4 && predicted.cols == 5)
        batch.targets = predicted.storage
        #expect(model.loss(batch) < 1e-10)
        batch.targets[1] += 1  // window 0, step 1: its error, and the steps after it read a different value
        #expect(model.loss(batch) > 1.0 / 20 - 1e-6)
    }

    @Test func aCheckpointRestoresItAndBidirectionalIsRefused() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 9)
            let model = AutoregressiveForecastModel(
                .init(inputSize: 2, horizon: 3, loss: .quantiles([0.2, 0.8]), recurrent: .init(cell: .gru, hiddenSize: 4)), using: &rng)
            let x = SequenceInput.dense(Matrix.random(5 * 2, 2, using: &rng))
            try ModelCheckpoint(model: model).write(path: dir + "/a.safetensors")
            let loaded = try ModelCheckpoint<AutoregressiveForecastModel>.read(path: dir + "/a.safetensors").model
            #expect(loaded.configuration == model.configuration)
            #expect(loaded.predict(x, batchSize: 2).storage == model.predict(x, batchSize: 2).storage)
            var bidirectional = model.configuration
            bidirectional.recurrent.bidirectional = true
            #expect(bidirectional.problem?.contains("runs forward only") == true)
        }
    }

    /// Dropout between layers in training: the masks follow the training step (the same
    /// step, the same loss; another step, another), and evaluation never drops.
    @Test(.precision(.fp32)) func dropoutMasksFollowTheTrainingStep() {
        var rng = SeededRandom(seed: 12)
        let model = AutoregressiveForecastModel(
            .init(inputSize: 2, horizon: 3, recurrent: .init(cell: .lstm, hiddenSize: 6, numLayers: 2), dropout: 0.5, dropoutSeed: 3),
            using: &rng)
        let batch = Self.batch(model, steps: 5, batchSize: 4, using: &rng)
        let evaluation = model.loss(batch)
        #expect(model.loss(batch) == evaluation)
        model.trainingStep = 7
        let first = model.computeGradients(batch)
        model.trainingStep = 7
        #expect(model.computeGradients(batch) == first)
        #expect(model.computeGradients(batch) != first && first != evaluation)
    }
}
