import CBLAS

/// A data problem found by a LAPACK-backed operation.
///
/// Programmer errors (operands of incompatible shapes) are precondition failures, not
/// thrown errors; these cases describe inputs whose *values* make the operation
/// impossible or meaningless.
public enum LinalgError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The LU factorization met an exactly zero pivot `U[pivot, pivot]` (0-based
    /// elimination step), or the matrix is numerically singular (estimated reciprocal
    /// condition number below `Float.ulpOfOne`); `pivot` is then the step with the
    /// smallest pivot magnitude.
    case singular(pivot: Int)
    /// The numerical rank (singular values above `rcond * s_max`) is below `required`.
    case rankDeficient(rank: Int, required: Int)
    /// Shapes that come from data (for example a file being loaded) do not agree.
    /// The operations in this file report shape mismatches as precondition failures.
    case shapeMismatch(String)
    /// An iterative algorithm (the SVD's bidiagonal QR / divide and conquer, the
    /// eigenvalues' QR algorithm) did not converge.
    case noConvergence
    /// An input holds a non-finite value (NaN or ±infinity).
    case invalidInput(String)

    public var description: String {
        switch self {
        case .singular(let pivot):
            return "matrix is singular: LU pivot U[\(pivot), \(pivot)] is zero, or the condition number exceeds 1/Float.ulpOfOne"
        case .rankDeficient(let rank, let required):
            return "matrix is rank-deficient: numerical rank \(rank), full rank needs \(required)"
        case .shapeMismatch(let message):
            return "shape mismatch: \(message)"
        case .noConvergence:
            return "the iterative algorithm (the SVD, or the QR algorithm for eigenvalues) did not converge"
        case .invalidInput(let message):
            return "invalid input: \(message)"
        }
    }
}

// MARK: - Helpers (file-private)

/// The LAPACKE integer type of this build (`lapack_int`, 32-bit unless LAPACK_ILP64).
private typealias LapackInt = Int32

/// `x` as a LAPACKE integer; sizes beyond its range are a precondition failure.
@inline(__always)
private func lapackInt(_ x: Int) -> LapackInt {
    precondition(x >= 0 && x <= Int(LapackInt.max), "LAPACK: dimension \(x) exceeds the LAPACK integer range")
    return LapackInt(x)
}

/// A LAPACKE `char` argument.
@inline(__always)
private func lapackChar(_ c: Unicode.Scalar) -> CChar {
    CChar(UInt8(ascii: c))
}

/// A negative `info` is an illegal argument (a bug here) or a LAPACKE allocation
/// failure: neither is a property of the data, so it stops the program.
@inline(__always)
private func checkLapackArguments(_ info: LapackInt, _ routine: StaticString) {
    precondition(info >= 0, "\(routine) failed: info = \(info) (illegal argument or workspace allocation failure)")
}

extension Matrix {
    /// Throws `.invalidInput` if any element is NaN or infinite.
    /// - Complexity: O(rows * cols).
    fileprivate func requireFinite(_ operation: String, _ name: String) throws(LinalgError) {
        let c = cols
        let bad: Int? = storage.withUnsafeBufferPointer { p in
            for i in 0..<p.count where !p[i].isFinite { return i }
            return nil
        }
        if let index = bad {
            let value = storage[index]
            throw .invalidInput(
                "\(operation): \(name) [\(rows), \(cols)] holds \(value) at (\(index / c), \(index % c))")
        }
    }
}

// MARK: - Linear systems

extension Matrix {
    /// The solution `x` of `self * x = b` for a square `self` (LU with partial pivoting:
    /// `sgetrf`, a condition estimate with `sgecon`, then `sgetrs`).
    ///
    /// `self` is `[n, n]`, `b` is `[n, k]` (k right-hand sides), the result is `[n, k]`.
    /// Neither operand is modified.
    ///
    /// ```swift
    /// let a = Matrix(rows: [[2, 1], [1, 3]])
    /// let x = try a.solve(Matrix(rows: [[3], [5]]))   // [[0.8], [1.4]]
    /// ```
    ///
    /// A matrix counts as singular when its LU factorization has an exactly zero pivot,
    /// or when its estimated reciprocal condition number in the 1-norm is below
    /// `Float.ulpOfOne` (≈ 1.2e-7, i.e. cond₁(A) ≳ 8e6: no digit of a Float solution
    /// would be reliable). The second test is needed because rounding in the blocked
    /// LU rarely leaves an exact zero pivot for an exactly singular matrix (two equal
    /// rows, say) larger than a few rows; such matrices give estimates around 1e-9.
    ///
    /// - Throws: `LinalgError.singular(pivot:)` as above; `pivot` is the elimination
    ///   step with the zero pivot, or with the smallest pivot magnitude when the
    ///   condition test fails. `LinalgError.invalidInput` if `self` or `b` holds NaN or
    ///   infinity, or if the solution overflows Float.
    /// - Precondition: `self` is square and `b.rows == rows`.
    /// - Complexity: O(n³ + n² k).
    public func solve(_ b: Matrix) throws -> Matrix {
        precondition(rows == cols, "solve: A must be square, got A [\(rows), \(cols)]")
        precondition(
            b.rows == rows,
            "solve: A is [\(rows), \(cols)] but b is [\(b.rows), \(b.cols)]; b needs \(rows) rows")
        try requireFinite("solve", "A")
        try b.requireFinite("solve", "b")
        let n = rows, k = b.cols
        if n == 0 { return Matrix(rows: 0, cols: k) }

        // LAPACK overwrites its operands: factor and solve in private copies.
        var lu = storage
        var x = k == 0 ? [Float](repeating: 0, count: 1) : b.storage
        var pivots = [LapackInt](repeating: 0, count: n)
        var rcond: Float = 0
        let n32 = lapackInt(n), k32 = lapackInt(k), ldb = lapackInt(Swift.max(k, 1))
        let (infoLU, infoCon, infoSolve, smallestPivot) = lu.withUnsafeMutableBufferPointer { pa in
            x.withUnsafeMutableBufferPointer { px in
                pivots.withUnsafeMutableBufferPointer { pp in
                    let anorm = LAPACKE_slange(LAPACK_ROW_MAJOR, lapackChar("1"), n32, n32, pa.baseAddress, n32)
                    let infoLU = LAPACKE_sgetrf(LAPACK_ROW_MAJOR, n32, n32, pa.baseAddress, n32, pp.baseAddress)
                    let smallest = (0..<n).min { abs(pa[$0 * n + $0]) < abs(pa[$1 * n + $1]) } ?? 0
                    guard infoLU == 0 else { return (infoLU, LapackInt(0), LapackInt(0), smallest) }
                    let infoCon = LAPACKE_sgecon(
                        LAPACK_ROW_MAJOR, lapackChar("1"), n32, pa.baseAddress, n32,
                        anorm, &rcond)
                    guard infoCon == 0, rcond >= Float.ulpOfOne else {
                        return (infoLU, infoCon, LapackInt(0), smallest)
                    }
                    let infoSolve = LAPACKE_sgetrs(
                        LAPACK_ROW_MAJOR, lapackChar("N"), n32, k32, pa.baseAddress, n32,
                        pp.baseAddress, px.baseAddress, ldb)
                    return (infoLU, infoCon, infoSolve, smallest)
                }
            }
        }
        checkLapackArguments(infoLU, "LAPACKE_sgetrf")
        if infoLU > 0 { throw LinalgError.singular(pivot: Int(infoLU) - 1) }
        checkLapackArguments(infoCon, "LAPACKE_sgecon")
        if !(rcond >= Float.ulpOfOne) { throw LinalgError.singular(pivot: smallestPivot) }
        checkLapackArguments(infoSolve, "LAPACKE_sgetrs")

        if k == 0 { return Matrix(rows: n, cols: 0) }
        let result = Matrix(rows: n, cols: k, storage: x)
        try result.requireFinite("solve (the solution overflows Float)", "x")
        return result
    }

    /// The least-squares solution `x` minimizing `‖self * x - b‖₂` (SVD-based, `sgelsd`).
    ///
    /// `self` is `[m, n]`, `b` is `[m, k]`, the result is `[n, k]`. For `m >= n`
    /// (over-determined) `self` must have full column rank `n`; for `m < n`
    /// (under-determined) it must have full row rank `m`, and the minimum-norm solution
    /// is returned. Neither operand is modified.
    ///
    /// ```swift
    /// // Fit y = c0 + c1 t through three points.
    /// let a = Matrix(rows: [[1, 0], [1, 1], [1, 2]])
    /// let c = try a.leastSquares(Matrix(rows: [[1], [2], [2]]))   // [[7/6], [1/2]]
    /// ```
    ///
    /// - Parameters:
    ///   - b: the right-hand sides, `[m, k]`.
    ///   - rcond: singular values `s_i <= rcond * s_max` count as zero when the
    ///     numerical rank is determined. The default, `Float.ulpOfOne * max(m, n)`
    ///     (≈ 1.2e-7 · max(m, n)), is NumPy's `lstsq` default: a matrix closer than float
    ///     round-off (amplified by its size) to a rank-deficient one is treated as
    ///     rank-deficient, because its solution would be dominated by rounding noise.
    /// - Throws: `LinalgError.rankDeficient(rank:required:)` if the numerical rank is
    ///   below `min(m, n)`; `LinalgError.noConvergence` if the SVD does not converge;
    ///   `LinalgError.invalidInput` if `self` or `b` holds NaN or infinity.
    /// - Precondition: `b.rows == rows`; `rcond` is finite and non-negative.
    /// - Complexity: O(m n min(m, n) + max(m, n) n k).
    public func leastSquares(_ b: Matrix, rcond: Float? = nil) throws -> Matrix {
        precondition(
            b.rows == rows,
            "leastSquares: A is [\(rows), \(cols)] but b is [\(b.rows), \(b.cols)]; b needs \(rows) rows")
        let m = rows, n = cols, k = b.cols
        let threshold = rcond ?? Float.ulpOfOne * Float(Swift.max(m, n))
        precondition(
            threshold.isFinite && threshold >= 0,
            "leastSquares: rcond must be finite and non-negative, got \(threshold)")
        try requireFinite("leastSquares", "A")
        try b.requireFinite("leastSquares", "b")
        let required = Swift.min(m, n)
        // No equations or no unknowns: the minimum-norm solution is zero.
        if m == 0 || n == 0 { return Matrix(rows: n, cols: k) }

        // sgelsd reads b from, and writes x into, a [max(m, n), k] array.
        let ldb = Swift.max(k, 1)
        var a = storage
        var bx = [Float](repeating: 0, count: Swift.max(m, n) * ldb)
        if k > 0 { bx.replaceSubrange(0..<(m * k), with: b.storage) }
        var singularValues = [Float](repeating: 0, count: required)
        var rank: LapackInt = 0
        let m32 = lapackInt(m), n32 = lapackInt(n), k32 = lapackInt(k), ldb32 = lapackInt(ldb)
        let info = a.withUnsafeMutableBufferPointer { pa in
            bx.withUnsafeMutableBufferPointer { pb in
                singularValues.withUnsafeMutableBufferPointer { ps in
                    LAPACKE_sgelsd(
                        LAPACK_ROW_MAJOR, m32, n32, k32, pa.baseAddress, n32,
                        pb.baseAddress, ldb32, ps.baseAddress, threshold, &rank)
                }
            }
        }
        checkLapackArguments(info, "LAPACKE_sgelsd")
        if info > 0 { throw LinalgError.noConvergence }
        if Int(rank) < required { throw LinalgError.rankDeficient(rank: Int(rank), required: required) }
        if k == 0 { return Matrix(rows: n, cols: 0) }
        return Matrix(rows: n, cols: k, storage: Array(bx[0..<(n * k)]))
    }
}

// MARK: - Factorizations

extension Matrix {
    /// The reduced (thin) QR factorization `self = q * r` (Householder, `sgeqrf` + `sorgqr`).
    ///
    /// With `self` `[m, n]` and `p = min(m, n)`: `q` is `[m, p]` with orthonormal
    /// columns and `r` is `[p, n]` upper triangular (upper trapezoidal when `m < n`);
    /// entries of `r` below the diagonal are exactly zero. So for `m >= n` this is
    /// `q [m, n]`, `r [n, n]`; for `m < n` it is `q [m, m]` (square orthogonal) and
    /// `r [m, n]` — NumPy's `mode="reduced"`. The signs are LAPACK's: the diagonal of
    /// `r` may be negative.
    ///
    /// ```swift
    /// let (q, r) = try Matrix(rows: [[3, 1], [4, 2], [0, 5]]).qr()   // q [3, 2], r [2, 2]
    /// ```
    ///
    /// - Throws: `LinalgError.invalidInput` if `self` holds NaN or infinity. A
    ///   rank-deficient matrix is factored normally (with zeros on `r`'s diagonal).
    /// - Complexity: O(m n min(m, n)).
    public func qr() throws -> (q: Matrix, r: Matrix) {
        try requireFinite("qr", "A")
        let m = rows, n = cols, p = Swift.min(m, n)
        if p == 0 { return (Matrix(rows: m, cols: 0), Matrix(rows: 0, cols: n)) }

        var a = storage
        var tau = [Float](repeating: 0, count: p)
        var q = Matrix(rows: m, cols: p)
        var r = Matrix(rows: p, cols: n)
        let m32 = lapackInt(m), n32 = lapackInt(n), p32 = lapackInt(p)
        let (infoQR, infoQ) = a.withUnsafeMutableBufferPointer { pa in
            tau.withUnsafeMutableBufferPointer { pt in
                r.storage.withUnsafeMutableBufferPointer { pr in
                    q.storage.withUnsafeMutableBufferPointer { pq in
                        // R in the upper trapezoid of a, Householder vectors below it.
                        let infoQR = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, m32, n32, pa.baseAddress, n32, pt.baseAddress)
                        guard infoQR == 0 else { return (infoQR, LapackInt(0)) }
                        for i in 0..<p {
                            for j in i..<n { pr[i * n + j] = pa[i * n + j] }
                        }
                        // Q from the reflectors, in place in the first p columns of a (row stride n).
                        let infoQ = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, m32, p32, p32, pa.baseAddress, n32, pt.baseAddress)
                        guard infoQ == 0 else { return (infoQR, infoQ) }
                        for i in 0..<m {
                            for j in 0..<p { pq[i * p + j] = pa[i * n + j] }
                        }
                        return (infoQR, infoQ)
                    }
                }
            }
        }
        checkLapackArguments(infoQR, "LAPACKE_sgeqrf")
        checkLapackArguments(infoQ, "LAPACKE_sorgqr")
        return (q, r)
    }

    /// The singular values of `self`, in descending order (`sgesdd`, values only).
    ///
    /// With `self` `[m, n]` the result has `min(m, n)` non-negative elements.
    ///
    /// ```swift
    /// let s = try Matrix(rows: [[3, 0], [0, -4]]).singularValues()   // [4, 3]
    /// ```
    ///
    /// - Throws: `LinalgError.noConvergence` if the SVD does not converge;
    ///   `LinalgError.invalidInput` if `self` holds NaN or infinity.
    /// - Complexity: O(m n min(m, n)).
    public func singularValues() throws -> [Float] {
        try requireFinite("singularValues", "A")
        let m = rows, n = cols, p = Swift.min(m, n)
        if p == 0 { return [] }

        var a = storage
        var s = [Float](repeating: 0, count: p)
        // jobz "N" computes no vectors: u and vt are never referenced, but LAPACKE still
        // requires ldvt >= n in row-major layout.
        var unused = [Float](repeating: 0, count: 1)
        let m32 = lapackInt(m), n32 = lapackInt(n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                unused.withUnsafeMutableBufferPointer { pu in
                    LAPACKE_sgesdd(
                        LAPACK_ROW_MAJOR, lapackChar("N"), m32, n32, pa.baseAddress, n32,
                        ps.baseAddress, pu.baseAddress, 1, pu.baseAddress, n32)
                }
            }
        }
        checkLapackArguments(info, "LAPACKE_sgesdd")
        if info > 0 { throw LinalgError.noConvergence }
        return s
    }

    /// The thin singular value decomposition `self = u * diag(s) * vt` (`sgesdd`).
    ///
    /// With `self` `[m, n]` and `p = min(m, n)`: `u` is `[m, p]` with orthonormal
    /// columns, `s` has `p` non-negative values in descending order, and `vt` is
    /// `[p, n]` with orthonormal rows.
    ///
    /// ```swift
    /// let (u, s, vt) = try a.svd()
    /// // a ≈ u * Matrix(rows: p, cols: p) { $0 == $1 ? s[$0] : 0 } * vt
    /// ```
    ///
    /// - Throws: `LinalgError.noConvergence` if the SVD does not converge;
    ///   `LinalgError.invalidInput` if `self` holds NaN or infinity.
    /// - Complexity: O(m n min(m, n)).
    public func svd() throws -> (u: Matrix, s: [Float], vt: Matrix) {
        try requireFinite("svd", "A")
        let m = rows, n = cols, p = Swift.min(m, n)
        if p == 0 { return (Matrix(rows: m, cols: 0), [], Matrix(rows: 0, cols: n)) }

        var a = storage
        var s = [Float](repeating: 0, count: p)
        var u = Matrix(rows: m, cols: p)
        var vt = Matrix(rows: p, cols: n)
        let m32 = lapackInt(m), n32 = lapackInt(n), p32 = lapackInt(p)
        let info = a.withUnsafeMutableBufferPointer { pa in
            s.withUnsafeMutableBufferPointer { ps in
                u.storage.withUnsafeMutableBufferPointer { pu in
                    vt.storage.withUnsafeMutableBufferPointer { pv in
                        LAPACKE_sgesdd(
                            LAPACK_ROW_MAJOR, lapackChar("S"), m32, n32, pa.baseAddress, n32,
                            ps.baseAddress, pu.baseAddress, p32, pv.baseAddress, n32)
                    }
                }
            }
        }
        checkLapackArguments(info, "LAPACKE_sgesdd")
        if info > 0 { throw LinalgError.noConvergence }
        return (u, s, vt)
    }
}

// MARK: - Orthogonal initialization

extension Matrix {
    /// A random `[n, n]` orthogonal matrix (times `gain`), as `torch.nn.init.orthogonal_`.
    ///
    /// Same as `orthogonal(rows: n, cols: n, gain: gain, using: &rng)`: Haar-distributed,
    /// and deterministic for a given generator state.
    ///
    /// ```swift
    /// var rng = SeededRandom(seed: 0)
    /// let wHH = Matrix.orthogonal(128, using: &rng)   // wHHᵀ wHH = I
    /// ```
    /// - Complexity: O(n³).
    public static func orthogonal(_ n: Int, gain: Float = 1, using rng: inout SeededRandom) -> Matrix {
        orthogonal(rows: n, cols: n, gain: gain, using: &rng)
    }

    /// A random `[rows, cols]` matrix with orthonormal rows or columns (times `gain`),
    /// with `torch.nn.init.orthogonal_`'s semantics.
    ///
    /// A `[rows, cols]` standard normal matrix `G` is drawn from `rng` (row-major order).
    /// If `rows < cols` it is transposed to make it tall. Its thin QR factorization
    /// `Q R` is taken, and each column `j` of `Q` is multiplied by the sign of `R[j, j]`
    /// (which makes the distribution uniform over orthogonal matrices; a zero diagonal,
    /// which has probability zero, counts as `+1` so the result stays orthogonal). `Q`
    /// is transposed back if `G` was, then scaled by `gain`. So for `rows >= cols` the
    /// columns are orthonormal (`Qᵀ Q = gain² I`), and for `rows < cols` the rows are
    /// (`Q Qᵀ = gain² I`).
    ///
    /// ```swift
    /// var rng = SeededRandom(seed: 0)
    /// let w = Matrix.orthogonal(rows: 64, cols: 16, gain: 1, using: &rng)   // wᵀ w = I [16, 16]
    /// ```
    /// - Precondition: `rows >= 0`, `cols >= 0`, `gain` finite.
    /// - Complexity: O(rows * cols * min(rows, cols)).
    public static func orthogonal(
        rows: Int, cols: Int, gain: Float = 1,
        using rng: inout SeededRandom
    ) -> Matrix {
        precondition(rows >= 0 && cols >= 0, "orthogonal: shape must be non-negative, got [\(rows), \(cols)]")
        precondition(gain.isFinite, "orthogonal: gain must be finite, got \(gain)")
        if rows == 0 || cols == 0 { return Matrix(rows: rows, cols: cols) }

        let wide = rows < cols
        var g = Matrix.randomNormal(rows, cols, using: &rng)
        if wide { g = g.transposed() }
        let factors: (q: Matrix, r: Matrix)
        do {
            factors = try g.qr()
        } catch {
            // A Gaussian sample is always finite, so qr cannot throw here.
            preconditionFailure("orthogonal: QR of a Gaussian [\(g.rows), \(g.cols)] matrix failed: \(error)")
        }
        var q = factors.q  // [max, min]
        let r = factors.r  // [min, min]
        let p = r.rows, tall = q.rows
        let scales: [Float] = r.storage.withUnsafeBufferPointer { pr in
            (0..<p).map { j in pr[j * p + j] < 0 ? -gain : gain }
        }
        scales.withUnsafeBufferPointer { ps in
            q.storage.withUnsafeMutableBufferPointer { pq in
                for i in 0..<tall {
                    for j in 0..<p { pq[i * p + j] *= ps[j] }
                }
            }
        }
        return wide ? q.transposed() : q
    }
}

// MARK: - Eigenvalues

extension Matrix {
    /// The eigenvalues of a square matrix (LAPACK `sgeev`, no eigenvectors), as
    /// `(real, imaginary)` pairs; complex ones come in conjugate pairs, in LAPACK's order.
    ///
    /// ```swift
    /// try Matrix(rows: [[0, -1], [1, 0]]).eigenvalues()   // [(0, 1), (0, -1)]: a rotation
    /// ```
    ///
    /// - Throws: `LinalgError.noConvergence` if the QR algorithm does not converge;
    ///   `LinalgError.invalidInput` if `self` holds NaN or infinity.
    /// - Precondition: `self` is square.
    /// - Complexity: O(n³).
    public func eigenvalues() throws -> [(real: Float, imaginary: Float)] {
        precondition(rows == cols, "eigenvalues need a square matrix, got [\(rows), \(cols)]")
        try requireFinite("eigenvalues", "A")
        let n = rows
        if n == 0 { return [] }
        var a = storage
        var wr = [Float](repeating: 0, count: n), wi = wr
        var unused = [Float](repeating: 0, count: 1)
        let n32 = lapackInt(n)
        let info = a.withUnsafeMutableBufferPointer { pa in
            wr.withUnsafeMutableBufferPointer { pr in
                wi.withUnsafeMutableBufferPointer { pi in
                    unused.withUnsafeMutableBufferPointer { pu in
                        LAPACKE_sgeev(
                            LAPACK_ROW_MAJOR, lapackChar("N"), lapackChar("N"), n32, pa.baseAddress, n32,
                            pr.baseAddress, pi.baseAddress, pu.baseAddress, 1, pu.baseAddress, 1)
                    }
                }
            }
        }
        checkLapackArguments(info, "LAPACKE_sgeev")
        if info > 0 { throw LinalgError.noConvergence }
        return (0..<n).map { (wr[$0], wi[$0]) }
    }

    /// The spectral radius `max |λ|` of a square matrix: how a linear recurrence
    /// `h ← A h` grows (> 1) or decays (< 1) in the long run.
    /// - Throws: as `eigenvalues()`. - Complexity: O(n³).
    public func spectralRadius() throws -> Float {
        // |λ| in Double: the squares of a Float eigenvalue above ~1.8e19 overflow Float.
        Float(
            try eigenvalues().map { (Double($0.real) * Double($0.real) + Double($0.imaginary) * Double($0.imaginary)).squareRoot() }.max()
                ?? 0)
    }
}
