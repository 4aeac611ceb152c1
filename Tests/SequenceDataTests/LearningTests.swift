import Foundation
import Linalg
import RNN
import SequenceData
import Testing
import ToolTesting

/// End to end on synthetic data, through the library's own pieces: a forecaster beats the
/// seasonal-naive baseline on held-out windows, and a classifier read from a long CSV table
/// labels held-out sequences.
@Suite(.precision(.fp32)) struct LearningTests {
    /// Trend + seasonalities of 12 and 5 steps + noise: first differences (the trend),
    /// standard scaling fitted on the training rows, the forecaster `make` builds trained
    /// 300 steps to forecast 6 steps from 24, then its forecasts back in real units beside
    /// the seasonal-naive forecast (m = 12), at every held-out origin.
    static func againstSeasonalNaive<Model: Forecaster>(
        _ make: (inout SeededRandom) -> Model
    ) -> (model: ForecastMetrics, seasonalNaive: ForecastMetrics, origins: Int) {
        var rng = SeededRandom(seed: 7)
        let n = 480, m = 12
        let series: [Float] = (0..<n).map { t in
            let x = Float(t)
            return 0.05 * x + 2 * sin(2 * .pi * x / 12) + 0.8 * sin(2 * .pi * x / 5) + rng.normal(std: 0.15)
        }
        let difference = Differencing(lag: 1)
        let changes = difference.apply(series)  // changes[i] = series[i + 1] - series[i]
        let split = TimeSplit.fractions(rowCount: changes.count, validation: 0, test: 0.2)!
        let scaler = Scaler.fit(.standard, columns: ["y": changes], rows: split.train)
        let scaled = scaler.transform(changes, column: "y")
        let windows = ForecastWindows(inputLength: 24, horizon: 6)
        let model = make(&rng)
        let optimizer = Adam(learningRate: 0.01)
        let origins = windows.origins(targets: split.train)
        for _ in 0..<300 {
            let chosen = (0..<32).map { _ in origins[rng.index(below: origins.count)] }
            model.computeGradients(windows.batch(origins: chosen, inputs: [scaled], targets: [scaled]))
            optimizer.step(model.parameters)
        }

        var forecasts: [Float] = [], naive: [Float] = [], actuals: [Float] = []
        let test = windows.origins(targets: split.test)
        let predicted = model.predict(windows.batch(origins: test, inputs: [scaled], targets: [scaled]).input, batchSize: test.count)
        for (b, o) in test.enumerated() {
            let changesAhead = scaler.inverse(Array(predicted.storage[(b * 6)..<(b * 6 + 6)]), column: "y")
            // changes[o...] are series[o + 1...] minus their predecessors: history up to series[o].
            forecasts += difference.invert(changesAhead, history: Array(series[...o]))
            naive += ForecastBaseline.seasonalNaive.forecast(series, origin: o + 1, horizon: 6, seasonality: m)
            actuals += Array(series[(o + 1)..<(o + 7)])
        }
        let training = Array(series[...split.trainEnd])
        return (
            ForecastMetrics(forecasts: forecasts, actuals: actuals, training: training, seasonality: m),
            ForecastMetrics(forecasts: naive, actuals: actuals, training: training, seasonality: m), test.count
        )
    }

    /// The direct forecaster (an LSTM) against the seasonal-naive baseline.
    @Test func aForecasterBeatsTheSeasonalNaiveBaseline() {
        let (model, naive, origins) = Self.againstSeasonalNaive { rng in
            ForecastModel(.init(inputSize: 1, horizon: 6, recurrent: .init(cell: .lstm, hiddenSize: 32)), using: &rng)
        }
        #expect(origins >= 80)
        #expect(model.mase < 0.8 * naive.mase, "model \(model), seasonal naive \(naive)")
    }

    /// Two classes of sequences of 6 to 14 steps, written as a long CSV table (id, step,
    /// two features, label), read back and grouped; a GRU classifier labels at least 95% of
    /// the held-out sequences right.
    @Test func aClassifierLearnsSequencesFromALongTable() throws {
        try withTemporaryDirectory { dir in
            var rng = SeededRandom(seed: 11)
            var csv = "id,step,a,b,label\n"
            for s in 0..<240 {
                let label = s % 2, length = 6 + rng.index(below: 9), phase = rng.uniform(0, 6.28)
                let frequency: Float = label == 0 ? 0.5 : 1.4
                for t in 0..<length {
                    let a = sin(frequency * Float(t) + phase) + rng.normal(std: 0.1)
                    let b = rng.normal(std: 1)
                    csv += "s\(s),\(t),\(a),\(b),\(label == 0 ? "slow" : "fast")\n"
                }
            }
            let path = try write(csv, to: "long.csv", in: dir)
            let table = try CSVTable.load(
                path: path, numeric: .allNumeric(except: ["id", "step", "label"]), text: ["id", "label"], time: "step",
                groupedBy: "id")
            let set = try GroupedSequences(table, id: "id", label: "label")
            #expect(set.sequences.count == 240 && set.classes == ["fast", "slow"] && set.features == ["a", "b"])

            let model = ManyToOneModel(
                .init(inputSize: 2, outputSize: 2, recurrent: .init(cell: .gru, hiddenSize: 24)), using: &rng)
            let optimizer = Adam(learningRate: 0.01)
            for _ in 0..<200 {
                let chosen = (0..<32).map { _ in rng.index(below: 200) }
                let batch = try ManyToOneModel.Batch(sequences: chosen.map { set.sequences[$0] }, labels: chosen.map { set.labels[$0] })
                model.computeGradients(batch)
                optimizer.step(model.parameters)
            }
            let heldOut = try ManyToOneModel.Batch(sequences: Array(set.sequences[200...]), labels: Array(set.labels[200...]))
            let metrics = ClassificationMetrics(
                predicted: model.predict(heldOut).map(Int.init), actual: Array(set.labels[200...]), classes: 2)
            #expect(metrics.accuracy >= 0.95, "\(metrics)")
        }
    }
}

extension LearningTests {
    /// The autoregressive forecaster on the same series, windows and budget as the direct
    /// one: below the seasonal-naive baseline too.
    @Test func anAutoregressiveForecasterBeatsTheSeasonalNaiveBaseline() {
        let (model, naive, _) = Self.againstSeasonalNaive { rng in
            AutoregressiveForecastModel(.init(inputSize: 1, horizon: 6, recurrent: .init(cell: .lstm, hiddenSize: 32)), using: &rng)
        }
        #expect(model.mase < 0.8 * naive.mase, "model \(model), seasonal naive \(naive)")
    }
}
