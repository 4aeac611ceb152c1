import _RNNKernels

/// One row times a row-major matrix, accumulated — the product of a single sequence's
/// step (`h W_hhᵀ` at batch size 1), where a GEMM library's `M = 1` path is slower than
/// reading the matrix once: `y[j] += Σ_i x[i] · w[i·ldw + j]` for `j < n`.
///
/// A C kernel in `KernelVariant`'s variants: the columns in blocks of 8 vector registers
/// that stay in registers over the whole sum, so `w` is read once, at close to the
/// cache's bandwidth (`bench --inference` reports it against the measured one). Each
/// `y[j]` is the same chain of multiply-adds in the order of `i` wherever its column
/// falls, so a thread's slice of the columns gives the bits of the whole product.
public enum RowProduct {
    /// `y[0..<n] += x[0..<k] · w[k, 0..<n]` with row stride `ldw ≥ n`; separate buffers.
    /// - Complexity: `O(k·n)`, one read of the `k × n` block.
    @inline(__always)
    public static func accumulate(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, ldw: Int,
        into y: UnsafeMutablePointer<Float>, k: Int, n: Int
    ) {
        srnn_gemv_rows(x, w, ldw, y, k, n)
    }

    /// `accumulate` in a given variant, whatever is in use (for tests that compare variants).
    public static func accumulate(
        variant: KernelVariant, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
        ldw: Int, into y: UnsafeMutablePointer<Float>, k: Int, n: Int
    ) {
        srnn_gemv_rows_variant(Int32(variant.rawValue), x, w, ldw, y, k, n)
    }
}
