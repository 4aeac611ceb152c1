/// The errors a forecast is judged by, over all forecasts and horizons: MAE, RMSE, MASE,
/// sMAPE, and with an interval its coverage.
///
/// - MAE = mean |F − A|; RMSE = √(mean (F − A)²);
/// - sMAPE = 100 · mean 2|F − A| / (|A| + |F|) (a term with A = F = 0 counts 0), in percent;
/// - MASE = MAE / (the in-sample MAE of the seasonal-naive forecast at lag m over the
///   training series: mean over t ≥ m of |y[t] − y[t−m]|) — below 1 beats that baseline's
///   one-step error (Hyndman and Koehler, 2006);
/// - coverage: the share of actuals within `[lower, upper]`.
public struct ForecastMetrics: Codable, Equatable, Sendable {
    public var mae: Double
    public var rmse: Double
    public var mase: Double
    public var smape: Double
    public var coverage: Double?
    /// The number of forecast values the means are over.
    public var count: Int

    /// - Parameters:
    ///   - forecasts: the forecast values, in real units.
    ///   - actuals: the values that came, as many as `forecasts`.
    ///   - training: the training series, for MASE's scale.
    ///   - m: the seasonality of MASE's scale (1: the naive forecast's in-sample error).
    ///   - interval: lower and upper bounds per forecast value, for coverage.
    /// - Precondition: at least one value; the training series longer than m.
    public init(
        forecasts: [Float], actuals: [Float], training: [Float], seasonality m: Int = 1,
        interval: (lower: [Float], upper: [Float])? = nil
    ) {
        precondition(forecasts.count == actuals.count && !actuals.isEmpty, "\(forecasts.count) forecasts for \(actuals.count) actuals")
        precondition(training.count > m, "MASE needs more than \(m) training values, got \(training.count)")
        var absolute = 0.0, squared = 0.0, symmetric = 0.0
        for (f, a) in zip(forecasts, actuals) {
            let (f, a) = (Double(f), Double(a))
            absolute += abs(f - a)
            squared += (f - a) * (f - a)
            let denominator = abs(a) + abs(f)
            symmetric += denominator == 0 ? 0 : 2 * abs(f - a) / denominator
        }
        let n = Double(actuals.count)
        mae = absolute / n
        rmse = (squared / n).squareRoot()
        smape = 100 * symmetric / n
        let scale =
            (m..<training.count).reduce(0.0) { $0 + abs(Double(training[$1]) - Double(training[$1 - m])) } / Double(training.count - m)
        mase = scale > 0 ? mae / scale : .infinity
        count = actuals.count
        if let interval {
            precondition(interval.lower.count == actuals.count && interval.upper.count == actuals.count, "interval bounds for every value")
            let inside = actuals.indices.filter { interval.lower[$0] <= actuals[$0] && actuals[$0] <= interval.upper[$0] }.count
            coverage = Double(inside) / n
        }
    }
}

/// The baselines every forecast evaluation prints beside a model, on the same windows.
public enum ForecastBaseline: String, CaseIterable, Sendable {
    /// The last value before the origin, for every horizon.
    case naive
    /// The value one season before each target: `y[o + h − m·⌈(h + 1)/m⌉]`.
    case seasonalNaive = "seasonal_naive"

    /// The `horizon` forecasts of `series` from origin `o` (rows before `o` known).
    /// - Precondition: `o ≥ m` (`o ≥ 1` for the naive forecast).
    public func forecast(_ series: [Float], origin o: Int, horizon: Int, seasonality m: Int) -> [Float] {
        switch self {
        case .naive: return [Float](repeating: series[o - 1], count: horizon)
        case .seasonalNaive:
            return (0..<horizon).map { h in series[o + h - m * ((h / m) + 1)] }
        }
    }
}
