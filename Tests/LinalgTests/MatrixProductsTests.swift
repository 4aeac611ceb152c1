import Testing
import Linalg

/// The naive triple-loop reference for `alpha * op(A) op(B) + beta * C`, in Double.
func naiveGemm(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool, _ c: Matrix, alpha: Float, beta: Float) -> Matrix {
    let m = ta ? a.cols : a.rows
    let k = ta ? a.rows : a.cols
    let n = tb ? b.rows : b.cols
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let x = ta ? a[p, i] : a[i, p]
                let y = tb ? b[j, p] : b[p, j]
                s += Double(x) * Double(y)
            }
            out[i, j] = Float(Double(alpha) * s + Double(beta) * Double(c[i, j]))
        }
    }
    return out
}

struct MatrixProductsTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (4, 4, 4), (3, 5, 7), (17, 9, 33), (1, 12, 5), (12, 1, 5), (6, 8, 1), (64, 33, 70),
    ]

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        var rng = SeededRandom(seed: 11)
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                let a = transposeA ? Matrix.random(k, m, using: &rng) : Matrix.random(m, k, using: &rng)
                let b = transposeB ? Matrix.random(n, k, using: &rng) : Matrix.random(k, n, using: &rng)
                let c0 = Matrix.random(m, n, using: &rng)
                var c = c0
                Matrix.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: alpha, beta: beta)
                let expected = naiveGemm(a, transposeA, b, transposeB, c0, alpha: alpha, beta: beta)
                // Float sums of k products of magnitude <= 1: error grows like k * 6e-8.
                #expect(c.maxAbsDifference(expected) <= 1e-5 * Float(k + 1), "m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta)")
            }
        }
    }

    @Test func degenerateInnerDimensionScalesC() {
        let a = Matrix.zeros(3, 0), b = Matrix.zeros(0, 2)
        var c = Matrix(rows: 3, cols: 2, repeating: 4)
        Matrix.gemm(a, b, into: &c, beta: 0.5)
        #expect(c == Matrix(rows: 3, cols: 2, repeating: 2))
        Matrix.gemm(a, b, into: &c)
        #expect(c == Matrix.zeros(3, 2))
    }

    @Test func allocatingProductAndOperator() {
        let a = Matrix(rows: [[1, 2], [3, 4], [5, 6]])
        let b = Matrix(rows: [[1, 0, -1], [2, 1, 0]])
        let expected = Matrix(rows: [[5, 2, -1], [11, 4, -3], [17, 6, -5]])
        #expect(a * b == expected)
        #expect(b.matmul(a, transposeSelf: true, transposeOther: true) == expected.transposed())
    }

    @Test(arguments: [(1, 1), (1, 7), (5, 1), (3, 4), (37, 129)])
    func transposeMatchesLoops(rows: Int, cols: Int) {
        var rng = SeededRandom(seed: UInt64(rows * 1000 + cols))
        let lda = cols + 3, ldb = rows + 2
        let a = (0..<(rows * lda)).map { _ in rng.uniform(-1, 1) }
        var b = [Float](repeating: .nan, count: cols * ldb)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeMutableBufferPointer { BLAS.transpose(rows: rows, cols: cols, a: pa.baseAddress!, lda: lda, into: $0.baseAddress!, ldb: ldb) }
        }
        for i in 0..<rows { for j in 0..<cols { #expect(b[j * ldb + i] == a[i * lda + j]) } }
        for j in 0..<cols { for i in rows..<ldb { #expect(b[j * ldb + i].isNaN, "wrote into the padding") } }
    }

    @Test func gemvMatchesTripleLoop() {
        var rng = SeededRandom(seed: 5)
        let a = Matrix.random(7, 4, using: &rng)
        let x = (0..<4).map { _ in rng.uniform(-1, 1) }
        let xt = (0..<7).map { _ in rng.uniform(-1, 1) }
        let y = a.matvec(x)
        let yt = a.matvec(xt, transposed: true)
        for i in 0..<7 {
            let ref = (0..<4).reduce(Float(0)) { $0 + a[i, $1] * x[$1] }
            #expect(abs(y[i] - ref) < 1e-5)
        }
        for j in 0..<4 {
            let ref = (0..<7).reduce(Float(0)) { $0 + a[$1, j] * xt[$1] }
            #expect(abs(yt[j] - ref) < 1e-5)
        }
        var acc = [Float](repeating: 1, count: 7)
        a.gemv(x, into: &acc, alpha: 2, beta: 3)
        for i in 0..<7 { #expect(abs(acc[i] - (2 * y[i] + 3)) < 1e-5) }
    }

    @Test func blockGemmOnSubBuffers() {
        // The RNN uses BLAS.gemm on blocks of larger buffers: check leading dimensions.
        var rng = SeededRandom(seed: 3)
        let big = Matrix.random(6, 10, using: &rng)           // A = big[1..<4, 2..<7]  ([3, 5], lda 10)
        let w = Matrix.random(4, 5, using: &rng)              // B = wᵀ ([5, 4])
        var out = [Float](repeating: 0, count: 3 * 4)
        big.storage.withUnsafeBufferPointer { pa in
            w.storage.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(.none, .transposed, m: 3, n: 4, k: 5, a: pa.baseAddress! + 12, lda: 10,
                              b: pw.baseAddress!, ldb: 5, c: pc.baseAddress!, ldc: 4)
                }
            }
        }
        for i in 0..<3 {
            for j in 0..<4 {
                let ref = (0..<5).reduce(Float(0)) { $0 + big[i + 1, $1 + 2] * w[j, $1] }
                #expect(abs(out[i * 4 + j] - ref) < 1e-5)
            }
        }
    }
}
