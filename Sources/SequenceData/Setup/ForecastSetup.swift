import Linalg
import RNN

/// How a forecaster's data is prepared, stored with the model (one JSON object in a
/// checkpoint's metadata) so that evaluation and prediction prepare new data the same
/// way: the columns, the time column, the filling of gaps, the differencing of the
/// targets, the scaling fitted on the training rows, the windows and the split.
///
/// The model's input at row `r` is the targets' (differenced, scaled) values and the
/// covariates' (scaled) values at `r`; it forecasts the targets' next `horizon` values.
///
/// ```swift
/// let setup = ForecastSetup(table: table, targets: ["load"], covariates: ["temperature"], ...)
/// let columns = try setup.modelColumns(table)           // scaled, differenced
/// let batch = setup.windows.batch(origins: [200, 201], inputs: columns.inputs, targets: columns.targets)
/// ```
public struct ForecastSetup: Codable, Equatable, Sendable {
    public var targets: [String]
    /// Input columns besides the targets' past.
    public var covariates: [String]
    public var time: String?
    public var fill: MissingValues
    /// The lag of the targets' differencing, or nil: none.
    public var differencing: Differencing?
    /// Fitted on the training rows of the model's columns (after differencing).
    public var scaler: Scaler
    public var windows: ForecastWindows
    /// The seasonality `m` of MASE and the seasonal-naive baseline.
    public var seasonality: Int
    /// The rows of the training file, cut by time.
    public var split: TimeSplit

    /// Fits the scaling to `table`'s training rows (`split.train`).
    /// - Precondition: the columns are numeric columns of `table`, the split fits it.
    public init(
        table: CSVTable, targets: [String], covariates: [String], time: String?, fill: MissingValues,
        differencing: Differencing?, scaling: Scaler.Kind, windows: ForecastWindows, seasonality: Int, split: TimeSplit
    ) {
        self.targets = targets
        self.covariates = covariates
        self.time = time
        self.fill = fill
        self.differencing = differencing
        self.windows = windows
        self.seasonality = seasonality
        self.split = split
        // Fitted on the training rows of each model column, read in place (no copy of the
        // table): a target's differences computed on the fly.
        let first = differencing?.lag ?? 0
        let rows = first..<max(split.trainEnd, first + 1)
        var fitted: [String: Scaler.Column] = [:]
        for name in targets + covariates {
            let values = table.numeric[name]!
            if let d = differencing, targets.contains(name) {
                fitted[name] = Scaler.fit(scaling, values: rows.lazy.map { values[$0] - values[$0 - d.lag] })
            } else {
                fitted[name] = Scaler.fit(scaling, values: values[rows])
            }
        }
        scaler = Scaler(kind: scaling, columns: fitted)
    }

    /// `values` of model column `name` as the model reads them, in place: a target
    /// differenced (its first `lag` rows 0), then every column scaled.
    func prepare(_ values: inout [Float], name: String) {
        if let differencing, targets.contains(name) { differencing.applyInPlace(&values) }
        scaler.transform(&values, column: name)
    }

    /// `modelColumns` taking the columns out of `table` rather than copying them: what
    /// training does with a table it no longer needs (a 1 GB file's columns then exist once).
    public func modelColumns(consuming table: inout CSVTable) -> (inputs: [[Float]], targets: [[Float]]) {
        let scaled = (targets + covariates).map { name in
            var values = table.takeNumericColumn(name)
            prepare(&values, name: name)
            return values
        }
        return (scaled, Array(scaled.prefix(targets.count)))
    }

    /// The model's inputs (targets, then covariates) and targets, scaled, by row of `table`.
    public func modelColumns(_ table: CSVTable) -> (inputs: [[Float]], targets: [[Float]]) {
        let scaled = (targets + covariates).map { name in
            var values = table.numeric[name]!
            prepare(&values, name: name)
            return values
        }
        return (scaled, Array(scaled.prefix(targets.count)))
    }

    /// The model's input width.
    public var inputSize: Int { targets.count + covariates.count }

    /// The first row whose window is complete: the window's rows follow the `lag` rows
    /// differencing needs.
    public var firstOrigin: Int { windows.inputLength + (differencing?.lag ?? 0) }

    /// The origins whose targets all lie in `rows` and whose inputs are complete.
    public func origins(targets rows: Range<Int>) -> [Int] {
        windows.origins(targets: rows, from: firstOrigin)
    }

    /// The model's forecasts `[horizon, targets, quantiles]` (one row of `ForecastModel.predict`)
    /// in real units, for origin `o` of the series `history` (each target's values before
    /// `o`, at least): scaling inverted, then differencing.
    /// - Returns: per target, per quantile, the `horizon` values.
    public func realForecast(_ outputs: ArraySlice<Float>, quantiles Q: Int, origin o: Int, history: [String: [Float]]) -> [[[Float]]] {
        let K = targets.count, H = windows.horizon
        return targets.enumerated().map { k, name in
            (0..<Q).map { q in
                let scaled = (0..<H).map { h in outputs[outputs.startIndex + (h * K + k) * Q + q] }
                let values = scaler.inverse(scaled, column: name)
                guard let differencing else { return values }
                // Only the last `lag` values before the origin feed the integration.
                return differencing.invert(values, history: Array(history[name]![(o - differencing.lag)..<o]))
            }
        }
    }
}
