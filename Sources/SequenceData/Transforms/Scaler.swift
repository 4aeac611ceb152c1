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
            let part = values[rows]
            switch kind {
            case .none:
                fitted[name] = Column(offset: 0, scale: 1)
            case .standard:
                let mean = part.reduce(0.0) { $0 + Double($1) } / Double(part.count)
                let variance = part.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(part.count)
                let std = variance.squareRoot()
                fitted[name] = Column(offset: Float(mean), scale: std > 0 ? Float(std) : 1)
            case .minMax:
                let low = part.min()!, high = part.max()!
                fitted[name] = Column(offset: low, scale: high > low ? high - low : 1)
            }
        }
        return Scaler(kind: kind, columns: fitted)
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
