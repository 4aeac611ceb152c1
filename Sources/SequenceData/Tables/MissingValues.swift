/// What becomes of a missing cell (empty, `NA`, `NaN`, `null`...: `CSVNumber.missing`) of
/// a numeric column.
public enum MissingValues: String, Sendable, CaseIterable, Codable {
    /// An error naming the line and the column (the default: nothing is guessed).
    case error
    /// The column's previous value (a missing first value is an error).
    case previous
    /// The straight line between the values around it; at the start or the end of the
    /// column, the nearest value.
    case linear
    /// 0.
    case zero

    /// Fills the NaNs of `values` (one column, in row order); returns the index of the
    /// value that cannot be filled (`.error`, or `.previous` at the start), or nil.
    /// - Complexity: O(values.count).
    func fill(_ values: inout [Float]) -> Int? {
        switch self {
        case .error:
            return values.firstIndex { $0.isNaN }
        case .zero:
            for i in values.indices where values[i].isNaN { values[i] = 0 }
        case .previous:
            for i in values.indices where values[i].isNaN {
                guard i > 0 else { return 0 }
                values[i] = values[i - 1]
            }
        case .linear:
            guard let first = values.firstIndex(where: { !$0.isNaN }) else { return 0 }
            for i in 0..<first { values[i] = values[first] }
            var last = first
            for i in (first + 1)..<values.count + 1 where i == values.count || !values[i].isNaN {
                if i - last > 1 {
                    let a = values[last], b = i < values.count ? values[i] : values[last]
                    for k in (last + 1)..<i {
                        values[k] = i < values.count ? a + (b - a) * Float(k - last) / Float(i - last) : a
                    }
                }
                last = i
            }
        }
        return nil
    }
}
