import Linalg
import RNN

extension ForecastWindows {
    /// The batch of windows at `origins`: inputs `[T*B, I]` time-major (row `t·B + b` is
    /// step `t` of window `b`: the values of `inputs`' columns at row `origin − T + t`)
    /// and targets `[B, horizon, K]` (the values of `targets`' K columns at the horizon's
    /// rows). Columns are whole series, already scaled.
    /// - Precondition: every origin is at least `inputLength`, and its targets within the columns.
    /// - Complexity: O(B · (T·I + horizon·K)).
    public func batch(origins: [Int], inputs: [[Float]], targets: [[Float]]) -> ForecastModel.Batch {
        let B = origins.count, T = inputLength, I = inputs.count, K = targets.count
        var x = [Float](repeating: 0, count: T * B * I)
        var y = [Float](repeating: 0, count: B * horizon * K)
        for (b, o) in origins.enumerated() {
            precondition(o >= T, "origin \(o) has fewer than \(T) rows before it")
            for t in 0..<T {
                for i in 0..<I { x[(t * B + b) * I + i] = inputs[i][o - T + t] }
            }
            for h in 0..<horizon {
                for k in 0..<K { y[(b * horizon + h) * K + k] = targets[k][o + h] }
            }
        }
        return ForecastModel.Batch(input: .dense(Matrix(rows: T * B, cols: I, storage: x)), targets: y, batchSize: B)
    }
}
