/// Differencing before a model sees a series, inverted on its forecasts: `lag` 1 is the
/// first difference `y[t] - y[t-1]` (removes a trend), `lag` m the seasonal difference
/// `y[t] - y[t-m]` (removes a season of period m) — what a plain recurrent network
/// extrapolates worst.
///
/// ```swift
/// let d = Differencing(lag: 12)
/// let changes = d.apply(series)                            // series.count - 12 values
/// let forecast = d.invert(predictedChanges, history: series)  // real values after series
/// ```
public struct Differencing: Codable, Equatable, Sendable {
    /// 1: first differences; m > 1: seasonal differences at lag m.
    public var lag: Int

    public init(lag: Int) {
        precondition(lag >= 1, "a differencing lag is at least 1, got \(lag)")
        self.lag = lag
    }

    /// `values[t] - values[t - lag]` for `t` in `lag..<values.count`.
    /// - Complexity: O(values.count).
    public func apply(_ values: [Float]) -> [Float] {
        guard values.count > lag else { return [] }
        return (lag..<values.count).map { values[$0] - values[$0 - lag] }
    }

    /// The values that follow `history` when its next differences are `differences`:
    /// `y[n + i] = differences[i] + y[n + i - lag]`, each new value feeding the later ones.
    /// - Precondition: `history.count >= lag`.
    public func invert(_ differences: [Float], history: [Float]) -> [Float] {
        precondition(history.count >= lag, "inverting lag-\(lag) differences needs \(lag) values of history, got \(history.count)")
        var series = Array(history.suffix(lag))
        for d in differences { series.append(d + series[series.count - lag]) }
        return Array(series.dropFirst(lag))
    }

    /// `values` differenced in place, its first `lag` values set to 0 (so that row `t`
    /// still holds `values[t] − values[t − lag]` for `t ≥ lag`).
    /// - Complexity: O(values.count), no copy.
    public func applyInPlace(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { v in
            for t in stride(from: v.count - 1, through: lag, by: -1) { v[t] -= v[t - lag] }
            for t in 0..<min(lag, v.count) { v[t] = 0 }
        }
    }
}
