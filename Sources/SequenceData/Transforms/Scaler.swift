/// Per-column scaling fitted on the training rows only and stored with a model: `standard`
/// (`(x - mean) / std`) or `minMax` (`(x - min) / (max - min)`, to `[0, 1]`). A constant
/// column scales by 1, so it never divides by zero.
///
/// ```swift
/// let scaler = Scaler.fit(.standard, columns: ["load": load], rows: 0..<trainEnd)
/// let scaled = scaler.transform(load, column: "load")
/// let back = scaler.inverse(prediction, column: "load")   // real units
/// ```
public struct Scaler: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case standard
        case minMax = "min-max"
        /// Values as they are.
        case none
    }

    /// One column's `(x - offset) / scale`.
    public struct Column: Codable, Equatable, Sendable {
        public var offset: Float
        public var scale: Float
    }

    public var kind: Kind
    public var columns: [String: Column]

    /// Fits `kind` to each column's values at `rows` (the training split: nothing after
    /// it is read). - Precondition: `rows` is not empty and within every column.
    /// - Complexity: O(columns · rows.count), in Double.
    public static func fit(_ kind: Kind, columns: [String: [Float]], rows: Range<Int>) -> Scaler {
        precondition(!rows.isEmpty, "a scaler needs at least one training row")
        var fitted: [String: Column] = [:]
        for (name, values) in columns {
            precondition(rows.upperBound <= values.count, "rows \(rows) outside column '\(name)' of \(values.count)")
            fitted[name] = fit(kind, values: values[rows])
        }
        return Scaler(kind: kind, columns: fitted)
    }

    /// One column's scaling fitted to `values` (the training values, in any order; read
    /// twice for `standard`), without copying them.
    /// - Precondition: at least one value.
    public static func fit<Values: Collection<Float>>(_ kind: Kind, values: Values) -> Column {
        precondition(!values.isEmpty, "a scaler needs at least one training value")
        switch kind {
        case .none:
            return Column(offset: 0, scale: 1)
        case .standard:
            let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
            let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
            let std = variance.squareRoot()
            return Column(offset: Float(mean), scale: std > 0 ? Float(std) : 1)
        case .minMax:
            let low = values.min()!, high = values.max()!
            return Column(offset: low, scale: high > low ? high - low : 1)
        }
    }

    /// `values` of `column` scaled in place. - Precondition: the column was fitted.
    public func transform(_ values: inout [Float], column: String) {
        let c = columns[column]!
        values.withUnsafeMutableBufferPointer { v in
            for i in v.indices { v[i] = (v[i] - c.offset) / c.scale }
        }
    }

    /// `values` of `column` scaled. - Precondition: the column was fitted.
    public func transform(_ values: [Float], column: String) -> [Float] {
        let c = columns[column]!
        return values.map { ($0 - c.offset) / c.scale }
    }

    /// Scaled `values` of `column` back in real units.
    public func inverse(_ values: [Float], column: String) -> [Float] {
        let c = columns[column]!
        return values.map { $0 * c.scale + c.offset }
    }
}
