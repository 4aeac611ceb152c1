import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// The forecasting model: its losses against hand-computed values, and every parameter's
/// gradient against finite differences for each loss and cell, one and two directions.
struct ForecastModelTests {
    @Test func lossesMatchHandComputedValues() {
        let outputs: [Float] = [1, 3], targets: [Float] = [2, 2]
        func loss(_ l: ForecastLoss, _ y: [Float], _ t: [Float]) -> (Double, [Float]) {
            var gradient = [Float](repeating: 0, count: y.count)
            let value = l.compute(outputs: y, targets: t, count: t.count, gradient: &gradient)
            return (value, gradient)
        }
        #expect(loss(.squaredError, outputs, targets) == (1, [-1, 1]))
        #expect(loss(.absoluteError, outputs, targets) == (1, [-0.5, 0.5]))
        // One value, quantiles 0.1 and 0.9 at 1 and 3 for an actual 2: 0.1·1 and 0.1·1.
        let (pinball, slope) = loss(.quantiles([0.1, 0.9]), outputs, [2])
        #expect(abs(pinball - 0.1) < 1e-7)
        #expect(abs(slope[0] + 0.05) < 1e-7 && abs(slope[1] - 0.05) < 1e-7)  // -q/2 and (1 - q)/2
        #expect(ForecastLoss.quantiles([0.5, 0.1]).problem == "the quantiles [0.5, 0.1] are not strictly ascending")
        #expect(ForecastLoss.quantiles([1]).problem == "quantile 1.0 is outside (0, 1)")
    }

    @Test(
        .precision(.fp32),
        arguments: [
            (RecurrentCell.lstm, ForecastLoss.squaredError, false), (.gru, .absoluteError, false),
            (.rnn, .quantiles([0.1, 0.5, 0.9]), false), (.lstm, .quantiles([0.2, 0.8]), true), (.gru, .squaredError, true),
        ])
    func gradientsMatchFiniteDifferences(_ cell: RecurrentCell, _ loss: ForecastLoss, _ bidirectional: Bool) throws {
        var rng = SeededRandom(seed: 41)
        let (I, T, B, horizon, K) = (3, 4, 3, 2, 2)
        let model = ForecastModel(
            .init(
                inputSize: I, horizon: horizon, targetCount: K, loss: loss,
                recurrent: .init(cell: cell, hiddenSize: 5, numLayers: 2, bidirectional: bidirectional)),
            using: &rng)
        let batch = ForecastModel.Batch(
            input: .dense(Matrix.random(T * B, I, using: &rng)),
            targets: (0..<(B * horizon * K)).map { _ in rng.uniform(-1, 1) }, batchSize: B)
        try model.check(batch)
        model.computeGradients(batch)
        let bad = GradientCheck(kinks: loss.kind != .squaredError).checkParameters(model.parameters) { model.loss(batch) }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
        #expect(model.predict(batch.input, batchSize: B).cols == horizon * K * loss.outputsPerValue)
    }

    @Test func batchesThatDoNotFitAreNamed() {
        var rng = SeededRandom(seed: 2)
        let model = ForecastModel(.init(inputSize: 2, horizon: 3, recurrent: .init(cell: .gru, hiddenSize: 4)), using: &rng)
        let x = SequenceInput.dense(Matrix.random(4, 2, using: &rng))
        #expect(throws: BatchError.countMismatch(what: "targets", count: 5, expected: 6)) {
            try model.check(.init(input: x, targets: [Float](repeating: 0, count: 5), batchSize: 2))
        }
        #expect(throws: BatchError.self) { try model.check(.init(input: .tokens([0, 1]), targets: [0, 0, 0], batchSize: 1)) }
        var targets = [Float](repeating: 0, count: 6)
        targets[4] = .nan
        #expect(throws: BatchError.layout("target 1 of window 1 is NaN or infinite; every target must be a finite value")) {
            try model.check(.init(input: x, targets: targets, batchSize: 2))
        }
    }

    @Test func aCheckpointRestoresTheConfigurationAndTheForecasts() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 9)
            let model = ForecastModel(
                .init(
                    inputSize: 2, horizon: 3, targetCount: 1, loss: .quantiles([0.25, 0.75]),
                    recurrent: .init(cell: .lstm, hiddenSize: 6, numLayers: 2), dropout: 0.2, dropoutSeed: 4),
                using: &rng)
            let x = SequenceInput.dense(Matrix.random(5 * 2, 2, using: &rng))
            try ModelCheckpoint(model: model).write(path: dir + "/f.safetensors")
            let loaded = try ModelCheckpoint<ForecastModel>.read(path: dir + "/f.safetensors").model
            #expect(loaded.configuration == model.configuration)
            #expect(loaded.predict(x, batchSize: 2).storage == model.predict(x, batchSize: 2).storage)
            // The header (JSON at the file's start) names the architecture and the loss.
            let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/f.safetensors")).prefix(4096), as: UTF8.self)
            #expect(header.contains("\"architecture\":\"forecaster\""), "\(header)")
            #expect(header.contains("\\\"loss\\\":{\\\"kind\\\":\\\"quantile\\\",\\\"quantiles\\\":[0.25,0.75]}"), "\(header)")
        }
    }
}
