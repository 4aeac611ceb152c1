/// A series' rows cut by time into training, validation and test parts — never shuffled
/// across: rows `0..<trainEnd` train, `trainEnd..<validationEnd` validate, the rest test.
/// Scaling is fitted on the training rows only; a window belongs to the part that holds
/// its targets (its inputs are the rows before them, which may be an earlier part's: the
/// past is known at every forecast origin).
public struct TimeSplit: Codable, Equatable, Sendable {
    public var rowCount: Int
    public var trainEnd: Int
    public var validationEnd: Int

    public init(rowCount: Int, trainEnd: Int, validationEnd: Int) {
        precondition(
            0 < trainEnd && trainEnd <= validationEnd && validationEnd <= rowCount,
            "split \(trainEnd), \(validationEnd) of \(rowCount) rows")
        self.rowCount = rowCount
        self.trainEnd = trainEnd
        self.validationEnd = validationEnd
    }

    /// The last `validation` and `test` fractions of `rowCount` rows (rounded down), the
    /// rest for training. - Returns: nil when training would get no row.
    public static func fractions(rowCount: Int, validation: Double, test: Double) -> TimeSplit? {
        let testRows = Int(Double(rowCount) * test), validationRows = Int(Double(rowCount) * validation)
        let trainEnd = rowCount - testRows - validationRows
        guard trainEnd > 0 else { return nil }
        return TimeSplit(rowCount: rowCount, trainEnd: trainEnd, validationEnd: rowCount - testRows)
    }

    public var train: Range<Int> { 0..<trainEnd }
    public var validation: Range<Int> { trainEnd..<validationEnd }
    public var test: Range<Int> { validationEnd..<rowCount }
}

/// Forecasting windows over a series: the `inputLength` rows before an origin `o` are the
/// input, rows `o..<o + horizon` the targets.
public struct ForecastWindows: Codable, Equatable, Sendable {
    public var inputLength: Int
    public var horizon: Int
    /// Rows between consecutive origins.
    public var stride: Int

    public init(inputLength: Int, horizon: Int, stride: Int = 1) {
        precondition(inputLength >= 1 && horizon >= 1 && stride >= 1, "window \(inputLength), horizon \(horizon), stride \(stride)")
        self.inputLength = inputLength
        self.horizon = horizon
        self.stride = stride
    }

    /// The origins whose targets all lie in `targets` and whose inputs start at row 0 or
    /// later, every `stride` rows from the first such origin; with `minimum`, those of them
    /// at `minimum` or later (the same strides: only the earlier origins are left out).
    /// - Complexity: O(result).
    public func origins(targets: Range<Int>, from minimum: Int = 0) -> [Int] {
        var first = max(targets.lowerBound, inputLength)
        if minimum > first { first += (minimum - first + stride - 1) / stride * stride }
        let last = targets.upperBound - horizon
        guard first <= last else { return [] }
        return Array(Swift.stride(from: first, through: last, by: stride))
    }

    /// The input rows of origin `o`.
    public func inputRows(_ o: Int) -> Range<Int> { (o - inputLength)..<o }
    /// The target rows of origin `o`.
    public func targetRows(_ o: Int) -> Range<Int> { o..<(o + horizon) }
}
