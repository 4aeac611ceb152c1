import CBLAS
import CDNNL

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    /// oneDNN's spelling: "N" or "T".
    var character: CChar { self == .none ? 78 : 84 }
}

/// Pointer-level single-precision BLAS kernels on row-major data.
///
/// These are the building blocks of the hot paths in `RNN`: they work on blocks of
/// larger buffers (one time step of a `[T*B, H]` matrix, one parameter of a
/// contiguous parameter buffer) without copying. `Matrix` offers the same
/// operations with shape checks.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, all row-major.
    ///
    /// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`; `lda`, `ldb`, `ldc`
    /// are the row strides of the matrices as stored. Runs on `backend` (default:
    /// `GEMM.backend`; `.automatic` means `GEMM.automaticChoice`) with the calling thread's
    /// `ComputeThreads.count`.
    /// - Complexity: O(m * n * k).
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        backend: GEMMBackend? = nil
    ) {
        sgemm(
            transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            backend.map(GEMM.resolve) ?? GEMM.backend)
    }

    static func sgemm(
        _ transA: Transpose, _ transB: Transpose, _ m: Int, _ n: Int, _ k: Int,
        _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
        _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ backend: GEMMBackend
    ) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            scale(c, rows: m, cols: n, ldc: ldc, beta: beta)
            return
        }
        switch backend {
        case .oneDNN:
            let status = dnnl_sgemm(
                transA.character, transB.character, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k),
                alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
            precondition(
                status == dnnl_success,
                "dnnl_sgemm failed (status \(status.rawValue)) for m \(m), n \(n), k \(k), lda \(lda), ldb \(ldb), ldc \(ldc)")
        case .openBLAS, .automatic:
            cblas_sgemm(
                CblasRowMajor, transA.cblas, transB.cblas,
                blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` with `A` and `B` in bfloat16 (`BFloat16`
    /// bits) and `C` in float, row-major as `gemm`: each product of two bf16 values is
    /// exact in float, and the sums are accumulated in float (oneDNN's
    /// `dnnl_gemm_bf16bf16f32`, AVX-512 BF16 or AMX). Runs with the calling thread's
    /// `ComputeThreads.count`.
    /// - Precondition: the machine runs bf16 in hardware (`Precision.bf16.check()`).
    /// - Complexity: O(m * n * k).
    public static func gemmBF16(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<UInt16>, lda: Int,
        b: UnsafePointer<UInt16>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(bf16Available, "gemmBF16 on a CPU without bf16 hardware: \(BF16Support.current.description)")
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            scale(c, rows: m, cols: n, ldc: ldc, beta: beta)
            return
        }
        let status = dnnl_gemm_bf16bf16f32(
            transA.character, transB.character, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k),
            alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
        precondition(
            status == dnnl_success,
            "dnnl_gemm_bf16bf16f32 failed (status \(status.rawValue)) for m \(m), n \(n), k \(k), lda \(lda), ldb \(ldb), ldc \(ldc)")
    }

    /// Whether `gemmBF16` may run (read once: the ISA does not change).
    private static let bf16Available = BF16Support.current.isAvailable

    /// `C = beta * C` over `[m, n]` (what a product with `k == 0` leaves; BLAS leaves C as
    /// it is when `beta == 1`).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int, ldc: Int, beta: Float) {
        guard beta != 1 else { return }
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] }
        }
    }

    /// `y = alpha * op(A) * x + beta * y` with `A` stored `[m, n]` row-major.
    /// - Complexity: O(m * n).
    public static func gemv(
        _ transA: Transpose, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0 && n > 0 else { return }
        cblas_sgemv(
            CblasRowMajor, transA.cblas, blasint(m), blasint(n), alpha,
            a, blasint(lda), x, 1, beta, y, 1)
    }

    /// `y += alpha * x` over `count` contiguous elements.
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_saxpy(blasint(count), alpha, x, 1, y, 1)
    }

    /// `x *= alpha` over `count` contiguous elements.
    public static func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        cblas_sscal(blasint(count), alpha, x, 1)
    }

    /// `b = aᵀ`: `a` is a row-major `[rows, cols]` block with leading dimension `lda`,
    /// `b` receives `[cols, rows]` with leading dimension `ldb` (OpenBLAS `somatcopy`; the
    /// buffers must not overlap). - Complexity: O(rows · cols).
    public static func transpose(
        rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int,
        into b: UnsafeMutablePointer<Float>, ldb: Int
    ) {
        guard rows > 0 && cols > 0 else { return }
        cblas_somatcopy(CblasRowMajor, CblasTrans, blasint(rows), blasint(cols), 1, a, blasint(lda), b, blasint(ldb))
    }

    /// The dot product of two contiguous vectors.
    public static func dot(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        guard count > 0 else { return 0 }
        return cblas_sdot(blasint(count), x, 1, y, 1)
    }
}
