import Linalg

/// The bf16 bits of an activation matrix `[rows, cols]` that several bf16 products read:
/// rounded once, a block of rows at a time as a pass writes them (`round`), then read by
/// any number of products (`PrecisionGEMM.Operand.rounded`) instead of being rounded again
/// by each. A backward's gate gradients are its use: rounded step by step for the
/// recurrence's products, then read whole by the layer's weight gradients.
/// `PrecisionGEMM` keeps its own operands' bits in one too (a weight's once per version,
/// an activation's at each call).
///
/// It holds bits until the next `prepare` that grows it; one thread's at a time.
final class RoundedActivation {
    private let buffer = AlignedBuffer<UInt16>()
    /// The shape it was last prepared for; `cols` is the copy's row stride.
    private(set) var rows = 0, cols = 0

    /// Sizes it for a matrix of `rows x cols`. O(1) unless it grows.
    func prepare(rows: Int, cols: Int) {
        buffer.resize(rows * cols)
        (self.rows, self.cols) = (rows, cols)
    }

    /// Rounds `rows` rows of `x` (row stride `ld`, `cols` columns) into the copy's rows from
    /// `row` on.
    /// - Complexity: O(rows·cols).
    func round(_ x: UnsafePointer<Float>, ld: Int, rows: Int, at row: Int) {
        precondition(row >= 0 && (row + rows) * cols <= buffer.count, "rows \(row)..<\(row + rows) are past the prepared copy")
        let out = buffer.pointer + row * cols
        if ld == cols {
            BFloat16.round(x, count: rows * cols, into: out)
        } else {
            for r in 0..<rows { BFloat16.round(x + r * ld, count: cols, into: out + r * cols) }
        }
    }

    /// Rows `row..<row + rows` of the copy (row stride `cols`), for a kernel that rounds
    /// into them itself as `round` would (a backward step writing its gate gradients'
    /// bits as it makes them).
    func writableBits(from row: Int, rows: Int) -> UnsafeMutablePointer<UInt16> {
        precondition(row >= 0 && (row + rows) * cols <= buffer.count, "rows \(row)..<\(row + rows) are past the prepared copy")
        return buffer.pointer + row * cols
    }

    /// The bits it holds, in floats' worth (the workspace's accounting).
    var heldFloats: Int { buffer.heldFloats }

    /// The bits of row `row` on (row stride `cols`).
    func bits(from row: Int) -> UnsafePointer<UInt16> { UnsafePointer(buffer.pointer + row * cols) }
}
