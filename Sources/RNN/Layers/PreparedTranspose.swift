import Linalg

/// A weight's transpose, kept for the products that read it as a plain operand and made
/// again only when the parameters have moved past the version it is of
/// (`ParameterStore.version`): an inference loop transposes once, a training loop (whose
/// every step changes the parameters) once per forward.
final class PreparedTranspose {
    private let buffer = FloatBuffer()
    private var version: UInt64?

    /// The floats of the transpose (0 until one is made).
    var heldFloats: Int { buffer.heldFloats }

    /// Whether it holds the `rows × cols` transpose for the parameters at `version`.
    func isCurrent(rows: Int, cols: Int, version: UInt64) -> Bool { self.version == version && buffer.count == rows * cols }

    /// The transpose `[cols, rows]` of the row-major `[rows, cols]` weight at `weight`, of
    /// the parameters at `version`.
    /// - Complexity: O(rows·cols) when made, O(1) when current.
    func of(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, version: UInt64) -> UnsafePointer<Float> {
        if !isCurrent(rows: rows, cols: cols, version: version) {
            buffer.resize(rows * cols)
            BLAS.transpose(rows: rows, cols: cols, a: weight, lda: cols, into: buffer.pointer, ldb: rows)
            self.version = version
        }
        return UnsafePointer(buffer.pointer)
    }
}
