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

extension RowProduct {
    /// A few rows times a row-major matrix, accumulated — `accumulate` for rows that share
    /// each read of `w` (a beam's hypotheses against one source's memory in attention):
    /// `y[r·ldy + j] += Σ_i x[r·ldx + i] · w[i·ldw + j]` for `r < rows`, `j < n`; separate
    /// buffers. Each `y[r][j]` gets the bits `accumulate` gives row `r` alone.
    /// - Complexity: `O(rows·k·n)`, one read of the `k × n` block per 6 rows.
    @inline(__always)
    public static func accumulate(
        rows: Int, _ x: UnsafePointer<Float>, ldx: Int, _ w: UnsafePointer<Float>, ldw: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, k: Int, n: Int
    ) {
        srnn_gemm_rows(x, ldx, rows, w, ldw, y, ldy, k, n)
    }

    /// The multi-row `accumulate` in a given variant (for tests that compare variants).
    public static func accumulate(
        variant: KernelVariant, rows: Int, _ x: UnsafePointer<Float>, ldx: Int, _ w: UnsafePointer<Float>, ldw: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, k: Int, n: Int
    ) {
        srnn_gemm_rows_variant(Int32(variant.rawValue), x, ldx, rows, w, ldw, y, ldy, k, n)
    }

    /// A few rows' dot products with the rows of a row-major matrix:
    /// `y[r·ldy + j] = Σ_i x[r·ldx + i] · w[j·ldw + i]` for `r < rows`, `j < n` (overwrites
    /// `y`), the product with the matrix transposed — a beam's queries scored against one
    /// source's keys, stored a row each. Each dot keeps 8 partial sums (`i` mod 8) added
    /// pairwise, then the terms past the last multiple of 8, so `y[r][j]` depends on neither
    /// `rows`, `n` nor `j`'s position, and the AVX2 and AVX-512 variants agree bit for bit.
    /// - Complexity: `O(rows·k·n)`, one read of the `n × k` block per 6 rows.
    @inline(__always)
    public static func dots(
        rows: Int, _ x: UnsafePointer<Float>, ldx: Int, against w: UnsafePointer<Float>, ldw: Int,
        into y: UnsafeMutablePointer<Float>, ldy: Int, k: Int, n: Int
    ) {
        srnn_dot_rows(x, ldx, rows, w, ldw, y, ldy, k, n)
    }

    /// `dots` in a given variant, whatever is in use (for tests that compare variants).
    public static func dots(
        variant: KernelVariant, rows: Int, _ x: UnsafePointer<Float>, ldx: Int, against w: UnsafePointer<Float>,
        ldw: Int, into y: UnsafeMutablePointer<Float>, ldy: Int, k: Int, n: Int
    ) {
        srnn_dot_rows_variant(Int32(variant.rawValue), x, ldx, rows, w, ldw, y, ldy, k, n)
    }
}

extension RowProduct {
    /// `accumulate` in bfloat16: `y[j] += Σ_i bf16(x[i]) · w[i, j]` for `j < n`, where `w`
    /// is a `[k, n]` matrix in the pairs of rows of `packPairs` (row stride `ldw` pairs) and
    /// `x` is rounded to bf16 inside the kernel; the products are exact and the sums float,
    /// two rows at a time (AVX-512 BF16's `vdpbf16ps` where the CPU has it and the
    /// AVX-512 variant is in use; the same arithmetic in scalar code elsewhere).
    /// Reads half the bytes of the fp32 product. Each `y[j]` is the same chain wherever
    /// its column falls, as in fp32.
    /// - Complexity: `O(k·n)`, one read of the `⌈k/2⌉ × n` pairs.
    @inline(__always)
    public static func accumulate(
        _ x: UnsafePointer<Float>, pairs w: UnsafePointer<UInt32>, ldw: Int, into y: UnsafeMutablePointer<Float>,
        k: Int, n: Int
    ) {
        srnn_gemv_rows_bf16(x, w, ldw, y, k, n)
    }

    /// The bfloat16 `accumulate` in a given variant (for tests that compare variants).
    public static func accumulate(
        variant: KernelVariant, _ x: UnsafePointer<Float>, pairs w: UnsafePointer<UInt32>, ldw: Int,
        into y: UnsafeMutablePointer<Float>, k: Int, n: Int
    ) {
        srnn_gemv_rows_bf16_variant(Int32(variant.rawValue), x, w, ldw, y, k, n)
    }

    /// The operand of the bfloat16 `accumulate`: `w` `[k, n]` (row stride `ldw`) rounded to
    /// bf16 (`BFloat16.bits`) into `⌈k/2⌉` rows of pairs: `out[p·ldo + j]` holds
    /// `w[2p, j]` in its low 16 bits and `w[2p+1, j]` (zero past an odd `k`) in its high.
    /// - Complexity: `O(k·n)`.
    public static func packPairs(
        _ w: UnsafePointer<Float>, ldw: Int, k: Int, n: Int, into out: UnsafeMutablePointer<UInt32>, ldo: Int
    ) {
        srnn_pack_bf16_pairs(w, ldw, k, n, out, ldo)
    }
}
