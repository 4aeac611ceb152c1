import Linalg
import Testing

// Tolerances. Float's unit roundoff is u = 2^-24 ≈ 6e-8 (`Float.ulpOfOne` = 2u ≈ 1.2e-7).
// Backward-stable factorizations (LU with partial pivoting, Householder QR, SVD) have
// errors of order n·u·‖A‖ for an n-sized problem, and the checking products (sgemm) add
// about as much again; forward errors in a solution are further multiplied by the
// condition number. Each bound below is a small multiple of that, stated where used.

private let eps = Float.ulpOfOne

/// Largest |element|.
private func maxAbs(_ m: Matrix) -> Float {
    m.storage.reduce(0) { Swift.max($0, abs($1)) }
}

/// Largest |a - b| elementwise.
private func maxAbsDiff(_ a: Matrix, _ b: Matrix) -> Float {
    precondition(
        a.rows == b.rows && a.cols == b.cols,
        "maxAbsDiff: [\(a.rows), \(a.cols)] vs [\(b.rows), \(b.cols)]")
    return zip(a.storage, b.storage).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
}

/// Largest absolute row sum (the ∞-norm).
private func normInf(_ m: Matrix) -> Float {
    (0..<m.rows).map { m.row($0).reduce(0) { $0 + abs($1) } }.max() ?? 0
}

/// A random, diagonally dominant (hence well-conditioned) `[n, n]` matrix: U(-1, 1) + n·I.
private func wellConditioned(_ n: Int, using rng: inout SeededRandom) -> Matrix {
    var a = Matrix.random(n, n, using: &rng)
    for i in 0..<n { a[i, i] += Float(n) }
    return a
}

/// `u * diag(s) * vt`, with `u` `[m, p]`, `s` `[p]`, `vt` `[p, n]`.
private func reconstruct(_ u: Matrix, _ s: [Float], _ vt: Matrix) -> Matrix {
    let d = Matrix(rows: s.count, cols: s.count) { $0 == $1 ? s[$0] : 0 }
    return u * d * vt
}

/// `mᵀ m` (the Gram matrix of the columns).
private func gram(_ m: Matrix) -> Matrix {
    m.matmul(m, transposeSelf: true)
}

private func isSingular(_ error: LinalgError?) -> Bool {
    if case .singular = error { return true }
    return false
}

private func isRankDeficient(_ error: LinalgError?) -> Bool {
    if case .rankDeficient = error { return true }
    return false
}

private func isInvalidInput(_ error: LinalgError?) -> Bool {
    if case .invalidInput = error { return true }
    return false
}

// MARK: - solve

@Test(arguments: [1, 2, 5, 16, 64, 200])
func solveResidualIsSmall(n: Int) throws {
    var rng = SeededRandom(seed: 1000 + UInt64(n))
    let a = wellConditioned(n, using: &rng)
    for k in [1, 3, 7] {
        let b = Matrix.random(n, k, using: &rng)
        let x = try a.solve(b)
        #expect(x.rows == n && x.cols == k)
        // Normwise backward error of a stable LU solve: ‖Ax − b‖ ≤ c·n·u·(‖A‖‖x‖ + ‖b‖);
        // 4·n·eps leaves room for the residual's own sgemm rounding.
        let residual = maxAbsDiff(a * x, b) / (normInf(a) * maxAbs(x) + maxAbs(b))
        #expect(residual <= 4 * Float(n) * eps, "n = \(n), k = \(k): relative residual \(residual)")
    }
}

@Test func solveRecoversKnownSolution() throws {
    var rng = SeededRandom(seed: 7)
    let n = 32
    let a = wellConditioned(n, using: &rng)
    let xTrue = Matrix.random(n, 4, using: &rng)
    let x = try a.solve(a * xTrue)
    // Forward error ≲ cond(A)·n·u; a diagonally dominant U(-1,1) + n·I matrix has cond of a
    // few, so 1e-5 on O(1) entries (≈ 80 eps) is generous but far below a wrong answer.
    #expect(maxAbsDiff(x, xTrue) <= 1e-5, "forward error \(maxAbsDiff(x, xTrue))")
}

@Test func solveSmallExactExample() throws {
    let a = Matrix(rows: [[2, 1], [1, 3]])
    let x = try a.solve(Matrix(rows: [[3], [5]]))
    // 2x2 with small integers: a few ulps.
    #expect(maxAbsDiff(x, Matrix(rows: [[0.8], [1.4]])) <= 4 * eps)
}

@Test func solveDoesNotModifyOperands() throws {
    var rng = SeededRandom(seed: 11)
    let a = wellConditioned(6, using: &rng)
    let b = Matrix.random(6, 2, using: &rng)
    let (aCopy, bCopy) = (a, b)
    _ = try a.solve(b)
    #expect(a == aCopy)
    #expect(b == bCopy)
}

@Test func solveWithNoRightHandSides() throws {
    var rng = SeededRandom(seed: 12)
    let a = wellConditioned(5, using: &rng)
    let x = try a.solve(Matrix(rows: 5, cols: 0))
    #expect(x.rows == 5 && x.cols == 0)
}

@Test func solveSingularWithEqualRowsThrows() {
    var rng = SeededRandom(seed: 21)
    // Blocked LU rarely leaves an exact zero pivot here for n > 4; the condition test catches it.
    for n in [2, 5, 17, 64, 200] {
        for copy in Set([n - 1, n / 2]) {
            var a = Matrix.random(n, n, using: &rng)
            a.setRow(copy, a.row(0))  // two equal rows: exactly singular
            let b = Matrix.random(n, 2, using: &rng)
            let error = #expect(throws: LinalgError.self) { try a.solve(b) }
            #expect(isSingular(error), "n = \(n), row \(copy) = row 0: got \(String(describing: error))")
        }
    }
}

@Test func solveZeroMatrixThrowsSingularAtFirstPivot() {
    let error = #expect(throws: LinalgError.self) {
        try Matrix.zeros(4, 4).solve(Matrix(rows: 4, cols: 1, repeating: 1))
    }
    #expect(error == .singular(pivot: 0))
}

@Test func solveRejectsNonFiniteInput() {
    var rng = SeededRandom(seed: 31)
    var a = wellConditioned(4, using: &rng)
    let b = Matrix.random(4, 1, using: &rng)
    a[2, 1] = .nan
    let e1 = #expect(throws: LinalgError.self) { try a.solve(b) }
    #expect(isInvalidInput(e1))

    let good = wellConditioned(4, using: &rng)
    var badB = b
    badB[3, 0] = .infinity
    let e2 = #expect(throws: LinalgError.self) { try good.solve(badB) }
    #expect(isInvalidInput(e2))
}

// MARK: - leastSquares

@Test(arguments: [(40, 8), (100, 30), (9, 9)])
func leastSquaresMatchesNormalEquations(m: Int, n: Int) throws {
    var rng = SeededRandom(seed: 2000 + UInt64(m * 31 + n))
    let a = Matrix.random(m, n, using: &rng)
    let b = Matrix.random(m, 3, using: &rng)
    let x = try a.leastSquares(b)
    #expect(x.rows == n && x.cols == 3)

    // Independent reference: solve (AᵀA) x = Aᵀb. The normal equations square the
    // condition number, so their relative error is ~ n·κ²·u with κ = s_max / s_min
    // (κ ≈ 2-3 for the tall cases, ~100 for the square one); bound it by 4·n·κ²·eps.
    let ata = a.matmul(a, transposeSelf: true)
    let atb = a.matmul(b, transposeSelf: true)
    let xNormal = try ata.solve(atb)
    let s = try a.singularValues()
    let kappa = s[0] / s[s.count - 1]
    let relative = maxAbsDiff(x, xNormal) / maxAbs(xNormal)
    #expect(
        relative <= 4 * Float(n) * kappa * kappa * eps,
        "[\(m), \(n)]: relative difference \(relative), κ = \(kappa)")

    // Optimality: the residual is orthogonal to the columns of A, Aᵀ(Ax − b) ≈ 0
    // (relative to ‖A‖·(‖A‖‖x‖ + ‖b‖), with the same n·eps-style bound as solve).
    let r = a * x
    let residual = Matrix(rows: m, cols: 3, storage: zip(r.storage, b.storage).map { $0 - $1 })
    let scale = normInf(a.transposed()) * (normInf(a) * maxAbs(x) + maxAbs(b))
    let orth = maxAbs(a.matmul(residual, transposeSelf: true)) / scale
    #expect(orth <= 4 * Float(m) * eps, "[\(m), \(n)]: Aᵀr relative \(orth)")
}

@Test func leastSquaresRecoversConsistentSolution() throws {
    var rng = SeededRandom(seed: 41)
    let a = Matrix.random(50, 6, using: &rng)
    let xTrue = Matrix.random(6, 2, using: &rng)
    let x = try a.leastSquares(a * xTrue)
    // Consistent system, modest cond(A): forward error a few hundred eps.
    #expect(maxAbsDiff(x, xTrue) <= 1e-4, "error \(maxAbsDiff(x, xTrue))")
}

@Test func leastSquaresSmallExample() throws {
    // Fit y = c0 + c1 t through (0, 1), (1, 2), (2, 2): c = [7/6, 1/2].
    let a = Matrix(rows: [[1, 0], [1, 1], [1, 2]])
    let c = try a.leastSquares(Matrix(rows: [[1], [2], [2]]))
    // Tiny well-conditioned problem: 16 eps.
    #expect(maxAbsDiff(c, Matrix(rows: [[7.0 / 6.0], [0.5]])) <= 16 * eps)
}

@Test func leastSquaresRankDeficientThrows() {
    var rng = SeededRandom(seed: 51)
    // Column 3 is exactly column 0 + column 1: rank 4 of 5.
    var a = Matrix.random(30, 5, using: &rng)
    for i in 0..<30 { a[i, 3] = a[i, 0] + a[i, 1] }
    let b = Matrix.random(30, 1, using: &rng)
    let error = #expect(throws: LinalgError.self) { try a.leastSquares(b) }
    #expect(error == .rankDeficient(rank: 4, required: 5))

    // A rank-2 product [30, 2] x [2, 5].
    let low = Matrix.random(30, 2, using: &rng) * Matrix.random(2, 5, using: &rng)
    let e2 = #expect(throws: LinalgError.self) { try low.leastSquares(b) }
    #expect(e2 == .rankDeficient(rank: 2, required: 5))

    let e3 = #expect(throws: LinalgError.self) { try Matrix.zeros(8, 3).leastSquares(Matrix.zeros(8, 1)) }
    #expect(e3 == .rankDeficient(rank: 0, required: 3))
}

@Test func leastSquaresRejectsNaN() {
    var rng = SeededRandom(seed: 61)
    let a = Matrix.random(10, 3, using: &rng)
    var b = Matrix.random(10, 1, using: &rng)
    b[4, 0] = .nan
    let error = #expect(throws: LinalgError.self) { try a.leastSquares(b) }
    #expect(isInvalidInput(error))
}

// MARK: - qr

@Test(arguments: [(1, 1), (6, 6), (50, 50), (40, 7), (200, 32), (5, 9)])
func qrFactorsAndIsOrthonormal(m: Int, n: Int) throws {
    var rng = SeededRandom(seed: 3000 + UInt64(m * 37 + n))
    let a = Matrix.randomNormal(m, n, using: &rng)
    let (q, r) = try a.qr()
    let p = min(m, n)
    #expect(q.rows == m && q.cols == p)
    #expect(r.rows == p && r.cols == n)
    // Householder QR: orthogonality loss and backward error are O(m·u); 4·m·eps bounds both
    // with room for the checking sgemm.
    let orth = maxAbsDiff(gram(q), Matrix.identity(p))
    #expect(orth <= 4 * Float(m) * eps, "[\(m), \(n)]: ‖QᵀQ − I‖max = \(orth)")
    let back = maxAbsDiff(q * r, a) / maxAbs(a)
    #expect(back <= 4 * Float(m) * eps, "[\(m), \(n)]: ‖QR − A‖/‖A‖ = \(back)")
    // Entries below the diagonal are written as exact zeros.
    for i in 0..<p {
        for j in 0..<min(i, n) { #expect(r[i, j] == 0, "r[\(i), \(j)] = \(r[i, j])") }
    }
}

@Test func qrRejectsNaN() {
    var a = Matrix.identity(3)
    a[0, 2] = .nan
    let error = #expect(throws: LinalgError.self) { try a.qr() }
    #expect(isInvalidInput(error))
}

// MARK: - singularValues and svd

@Test func singularValuesOfKnownSpectrum() throws {
    var rng = SeededRandom(seed: 71)
    // Given in scrambled order; expected back descending.
    let s: [Float] = [3, 0.5, 10, 1, 0.01, 5, 2, 0.1]
    let expected = s.sorted(by: >)
    for (m, n) in [(8, 8), (30, 8), (8, 20)] {
        let p = s.count
        let u = Matrix.orthogonal(rows: m, cols: p, using: &rng)  // orthonormal columns
        let v = Matrix.orthogonal(rows: n, cols: p, using: &rng)
        let a = reconstruct(u, s, v.transposed())
        let got = try a.singularValues()
        #expect(got.count == p)
        // Singular values are perfectly conditioned: |Δs_i| ≤ ‖ΔA‖₂ ≈ c·max(m,n)·u·s_max.
        for i in 0..<p {
            #expect(
                abs(got[i] - expected[i]) <= 4 * Float(max(m, n)) * eps * expected[0],
                "[\(m), \(n)] s[\(i)]: \(got[i]) vs \(expected[i])")
        }
        #expect(zip(got, got.dropFirst()).allSatisfy { $0 >= $1 }, "not descending: \(got)")
    }
}

@Test func singularValuesOfDiagonal() throws {
    let s = try Matrix(rows: [[3, 0], [0, -4]]).singularValues()
    #expect(s == [4, 3])
}

@Test(arguments: [(10, 10), (40, 12), (12, 40), (1, 5), (64, 64)])
func svdReconstructs(m: Int, n: Int) throws {
    var rng = SeededRandom(seed: 4000 + UInt64(m * 41 + n))
    let a = Matrix.randomNormal(m, n, using: &rng)
    let (u, s, vt) = try a.svd()
    let p = min(m, n)
    #expect(u.rows == m && u.cols == p && vt.rows == p && vt.cols == n && s.count == p)
    #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 }, "not descending: \(s)")
    #expect(s.allSatisfy { $0 >= 0 })
    // Backward-stable SVD: O(max(m,n)·u) relative reconstruction and orthogonality errors.
    let bound = 4 * Float(max(m, n)) * eps
    let back = maxAbsDiff(reconstruct(u, s, vt), a) / maxAbs(a)
    #expect(back <= bound, "[\(m), \(n)]: reconstruction \(back)")
    #expect(maxAbsDiff(gram(u), Matrix.identity(p)) <= bound)
    #expect(maxAbsDiff(vt.matmul(vt, transposeOther: true), Matrix.identity(p)) <= bound)
    // Agrees with the values-only routine.
    let values = try a.singularValues()
    #expect(zip(values, s).allSatisfy { abs($0 - $1) <= bound * s[0] })
}

@Test func svdAndSingularValuesRejectNonFinite() {
    var a = Matrix.identity(4)
    a[1, 1] = -.infinity
    let e1 = #expect(throws: LinalgError.self) { try a.svd() }
    #expect(isInvalidInput(e1))
    a[1, 1] = .nan
    let e2 = #expect(throws: LinalgError.self) { try a.singularValues() }
    #expect(isInvalidInput(e2))
}

// MARK: - orthogonal

@Test(arguments: [(1, 1), (16, 16), (128, 128), (64, 16), (16, 64)])
func orthogonalHasOrthonormalRowsOrColumns(rows: Int, cols: Int) {
    var rng = SeededRandom(seed: 5000 + UInt64(rows * 43 + cols))
    let w = Matrix.orthogonal(rows: rows, cols: cols, using: &rng)
    #expect(w.rows == rows && w.cols == cols)
    // Householder Q: orthogonality loss O(max(rows, cols)·u).
    let bound = 4 * Float(max(rows, cols)) * eps
    if rows >= cols {
        #expect(maxAbsDiff(gram(w), Matrix.identity(cols)) <= bound)
    } else {
        #expect(maxAbsDiff(w.matmul(w, transposeOther: true), Matrix.identity(rows)) <= bound)
    }
}

@Test func orthogonalSquareAndGain() {
    var rng = SeededRandom(seed: 81)
    let q = Matrix.orthogonal(32, using: &rng)
    // Same O(n·u) bound as above, for both QᵀQ and QQᵀ of a square Q.
    #expect(maxAbsDiff(gram(q), Matrix.identity(32)) <= 4 * 32 * eps)
    #expect(maxAbsDiff(q.matmul(q, transposeOther: true), Matrix.identity(32)) <= 4 * 32 * eps)

    var rng1 = SeededRandom(seed: 82), rng2 = SeededRandom(seed: 82)
    let g = Matrix.orthogonal(rows: 20, cols: 10, gain: 2.5, using: &rng1)
    let unit = Matrix.orthogonal(rows: 20, cols: 10, using: &rng2)
    // Scaling by gain is one rounding per element.
    #expect(maxAbsDiff(g, Matrix(rows: 20, cols: 10, storage: unit.storage.map { 2.5 * $0 })) <= eps * 2.5)
}

@Test func orthogonalIsDeterministicPerSeed() {
    var a = SeededRandom(seed: 91), b = SeededRandom(seed: 91), c = SeededRandom(seed: 92)
    let qa = Matrix.orthogonal(rows: 24, cols: 40, using: &a)
    let qb = Matrix.orthogonal(rows: 24, cols: 40, using: &b)
    let qc = Matrix.orthogonal(rows: 24, cols: 40, using: &c)
    #expect(qa == qb)
    #expect(qa != qc)
    #expect(a == b)  // both generators advanced identically
}

@Test func orthogonalFoldsRSignsIntoQ() throws {
    // With the signs of R's diagonal folded in, R' = diag(sign) R has a positive diagonal:
    // QR of the result (tall case, gain 1) reproduces Q with R' ≥ 0 on the diagonal, i.e.
    // Qᵀ G has a non-negative diagonal for the Gaussian G it came from.
    var rng = SeededRandom(seed: 101)
    var replay = rng
    let q = Matrix.orthogonal(rows: 30, cols: 10, using: &rng)
    let g = Matrix.randomNormal(30, 10, using: &replay)
    let rPositive = q.matmul(g, transposeSelf: true)  // = diag(sign) R, upper triangular
    for j in 0..<10 { #expect(rPositive[j, j] > 0, "diag[\(j)] = \(rPositive[j, j])") }
}

// MARK: - LinalgError

@Test func errorsDescribeThemselves() {
    #expect(LinalgError.singular(pivot: 2).description.contains("singular"))
    #expect(LinalgError.rankDeficient(rank: 3, required: 5).description.contains("rank 3"))
    #expect(LinalgError.shapeMismatch("A [2, 3] vs b [4, 1]").description.contains("A [2, 3]"))
    #expect(LinalgError.noConvergence.description.contains("converge"))
    #expect(LinalgError.invalidInput("nan").description.contains("nan"))
    #expect(LinalgError.singular(pivot: 1) != .singular(pivot: 2))
}
