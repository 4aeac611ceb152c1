import Foundation
import Linalg
import RNN
import SequenceData
import _ToolSupport

/// A forecaster's forecasts from every origin of a table (rolling origin), in real units,
/// beside the naive and seasonal-naive forecasts of the same windows.
struct ForecastEvaluation {
    let model: any Forecaster
    let setup: ForecastSetup
    let table: CSVTable

    /// The table of a checkpoint's setup: its targets and covariates, time column and filling.
    static func table(_ path: String, setup: ForecastSetup) throws -> CSVTable {
        try TableLoading.load(path, numeric: .named(setup.targets + setup.covariates), time: setup.time, fill: setup.fill)
    }

    /// Forecasts from each of `origins` (at most 256 windows a batch): per origin, per
    /// target, per quantile, `horizon` values.
    func forecasts(from origins: [Int]) -> [[[[Float]]]] {
        let columns = setup.modelColumns(table)
        let Q = model.forecastLoss.outputsPerValue, O = model.forecastOutputSize
        let history = Dictionary(uniqueKeysWithValues: setup.targets.map { ($0, table.numeric[$0]!) })
        var out: [[[[Float]]]] = []
        // Future rows may lie past the table's end (predict): the targets, unread, are padded.
        let padded = columns.targets.map { $0 + [Float](repeating: 0, count: setup.windows.horizon) }
        for start in stride(from: 0, to: origins.count, by: 256) {
            let chunk = Array(origins[start..<min(start + 256, origins.count)])
            let batch = setup.windows.batch(origins: chunk, inputs: columns.inputs, targets: padded)
            let predicted = model.predict(batch.input, batchSize: chunk.count)
            for (b, o) in chunk.enumerated() {
                out.append(setup.realForecast(predicted.storage[(b * O)..<((b + 1) * O)], quantiles: Q, origin: o, history: history))
            }
        }
        return out
    }

    /// The quantile index of the point forecast: 0.5's, else the middle one.
    var pointIndex: Int {
        let q = model.forecastLoss.quantiles
        return q.firstIndex(of: 0.5) ?? q.count / 2
    }

    /// Metrics of the model and the two baselines over `origins` (all targets' values
    /// pooled: each metric the mean over the targets).
    func metrics(origins: [Int], trainingEnd: Int) -> (model: ForecastMetrics, naive: ForecastMetrics, seasonalNaive: ForecastMetrics) {
        let H = setup.windows.horizon, m = setup.seasonality
        let all = forecasts(from: origins)
        let Q = model.forecastLoss.outputsPerValue
        var perTarget: [(ForecastMetrics, ForecastMetrics, ForecastMetrics)] = []
        for (k, name) in setup.targets.enumerated() {
            let series = table.numeric[name]!
            var point: [Float] = [], lower: [Float] = [], upper: [Float] = [], naive: [Float] = [], seasonal: [Float] = []
            var actual: [Float] = []
            for (i, o) in origins.enumerated() {
                point += all[i][k][pointIndex]
                lower += all[i][k][0]
                upper += all[i][k][Q - 1]
                naive += ForecastBaseline.naive.forecast(series, origin: o, horizon: H, seasonality: m)
                seasonal += ForecastBaseline.seasonalNaive.forecast(series, origin: o, horizon: H, seasonality: m)
                actual += Array(series[o..<(o + H)])
            }
            let training = Array(series[..<trainingEnd])
            perTarget.append(
                (
                    ForecastMetrics(
                        forecasts: point, actuals: actual, training: training, seasonality: m,
                        interval: Q > 1 ? (lower, upper) : nil),
                    ForecastMetrics(forecasts: naive, actuals: actual, training: training, seasonality: m),
                    ForecastMetrics(forecasts: seasonal, actuals: actual, training: training, seasonality: m)
                ))
        }
        return (Self.mean(perTarget.map(\.0)), Self.mean(perTarget.map(\.1)), Self.mean(perTarget.map(\.2)))
    }

    static func mean(_ metrics: [ForecastMetrics]) -> ForecastMetrics {
        guard metrics.count > 1 else { return metrics[0] }
        var m = metrics[0]
        let n = Double(metrics.count)
        m.mae = metrics.map(\.mae).reduce(0, +) / n
        m.rmse = metrics.map(\.rmse).reduce(0, +) / n
        m.mase = metrics.map(\.mase).reduce(0, +) / n
        m.smape = metrics.map(\.smape).reduce(0, +) / n
        m.coverage = metrics[0].coverage.map { _ in metrics.compactMap(\.coverage).reduce(0, +) / n }
        m.count = metrics.map(\.count).reduce(0, +)
        return m
    }
}
