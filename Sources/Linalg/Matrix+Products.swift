/// Matrix products backed by `cblas_sgemm` / `cblas_sgemv`.
extension Matrix {
    /// `C = alpha * op(A) * op(B) + beta * C`, written into the existing `c`.
    ///
    /// `op(A)` must be `[m, k]`, `op(B)` `[k, n]` and `c` `[m, n]`; a mismatch is a
    /// precondition failure that names the shapes. Nothing is allocated.
    ///
    /// ```swift
    /// var c = Matrix.zeros(2, 4)
    /// Matrix.gemm(a, b, into: &c)                                  // c = a b
    /// Matrix.gemm(a, b, transposeB: true, into: &c, beta: 1)       // c += a bᵀ
    /// ```
    /// - Complexity: O(m * n * k).
    public static func gemm(
        _ a: Matrix, transposeA: Bool = false,
        _ b: Matrix, transposeB: Bool = false,
        into c: inout Matrix, alpha: Float = 1, beta: Float = 0
    ) {
        let (m, ka) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        precondition(
            ka == kb,
            "gemm: inner dimensions differ: op(A) is [\(m), \(ka)] (A [\(a.rows), \(a.cols)]\(transposeA ? "ᵀ" : "")), op(B) is [\(kb), \(n)] (B [\(b.rows), \(b.cols)]\(transposeB ? "ᵀ" : ""))"
        )
        precondition(
            c.rows == m && c.cols == n,
            "gemm: C is [\(c.rows), \(c.cols)] but op(A) op(B) is [\(m), \(n)]")
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(
                        transposeA ? .transposed : .none, transposeB ? .transposed : .none,
                        m: m, n: n, k: ka, alpha: alpha,
                        a: pa.baseAddress!, lda: max(a.cols, 1),
                        b: pb.baseAddress!, ldb: max(b.cols, 1),
                        beta: beta, c: pc.baseAddress!, ldc: max(c.cols, 1))
                }
            }
        }
    }

    /// The product `op(self) * op(other)` as a new matrix.
    /// - Complexity: O(m * n * k).
    public func matmul(_ other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        let m = transposeSelf ? cols : rows
        let n = transposeOther ? other.rows : other.cols
        var c = Matrix(rows: m, cols: n)
        Matrix.gemm(self, transposeA: transposeSelf, other, transposeB: transposeOther, into: &c)
        return c
    }

    /// `self * other`.
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.matmul(rhs) }

    /// `y = alpha * op(self) * x + beta * y` for a vector `x`.
    /// - Complexity: O(rows * cols).
    public func gemv(_ x: [Float], transposed: Bool = false, into y: inout [Float], alpha: Float = 1, beta: Float = 0) {
        let (m, n) = transposed ? (cols, rows) : (rows, cols)
        precondition(x.count == n, "gemv: op(A) is [\(m), \(n)] but x has \(x.count) elements")
        precondition(y.count == m, "gemv: op(A) is [\(m), \(n)] but y has \(y.count) elements")
        guard m > 0 else { return }
        if n == 0 {
            for i in 0..<m { y[i] = beta == 0 ? 0 : beta * y[i] }
            return
        }
        storage.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    BLAS.gemv(
                        transposed ? .transposed : .none, m: rows, n: cols, alpha: alpha,
                        a: pa.baseAddress!, lda: cols, x: px.baseAddress!, beta: beta, y: py.baseAddress!)
                }
            }
        }
    }

    /// `op(self) * x` as a new vector.
    public func matvec(_ x: [Float], transposed: Bool = false) -> [Float] {
        var y = [Float](repeating: 0, count: transposed ? cols : rows)
        gemv(x, transposed: transposed, into: &y)
        return y
    }
}
