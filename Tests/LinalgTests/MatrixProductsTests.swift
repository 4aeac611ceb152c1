import Foundation
import Linalg
import Testing

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

    /// Both backends, every transpose, alpha/beta, k = 1, 1xN and Nx1, with leading
    /// dimensions wider than the rows (strided blocks, as the recurrent layers pass).
    @Test(arguments: [GEMMBackend.openBLAS, .oneDNN], [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTripleLoop(backend: GEMMBackend, transposes: (Bool, Bool)) {
        let (transposeA, transposeB) = transposes
        var rng = SeededRandom(seed: 11)
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                for pad in [0, 3] {
                    let a = transposeA ? Matrix.random(k, m, using: &rng) : Matrix.random(m, k, using: &rng)
                    let b = transposeB ? Matrix.random(n, k, using: &rng) : Matrix.random(k, n, using: &rng)
                    let c0 = Matrix.random(m, n, using: &rng)
                    let expected = naiveGemm(a, transposeA, b, transposeB, c0, alpha: alpha, beta: beta)
                    let (pa, lda) = Self.padded(a, pad), (pb, ldb) = Self.padded(b, pad)
                    var (pc, ldc) = Self.padded(c0, pad)
                    pa.withUnsafeBufferPointer { ua in
                        pb.withUnsafeBufferPointer { ub in
                            pc.withUnsafeMutableBufferPointer { uc in
                                BLAS.gemm(
                                    transposeA ? .transposed : .none, transposeB ? .transposed : .none,
                                    m: m, n: n, k: k, alpha: alpha, a: ua.baseAddress!, lda: lda,
                                    b: ub.baseAddress!, ldb: ldb, beta: beta, c: uc.baseAddress!, ldc: ldc,
                                    backend: backend)
                            }
                        }
                    }
                    var worst: Float = 0
                    for i in 0..<m { for j in 0..<n { worst = max(worst, abs(pc[i * ldc + j] - expected[i, j])) } }
                    // Float sums of k products of magnitude <= 1: error grows like k * 6e-8.
                    #expect(worst <= 1e-5 * Float(k + 1), "\(backend) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta) pad \(pad)")
                    for i in 0..<m { for j in n..<ldc { #expect(pc[i * ldc + j].isNaN, "\(backend) wrote into C's padding") } }
                }
            }
        }
    }

    /// `x`'s rows with `pad` NaNs after each: the storage and its leading dimension.
    static func padded(_ x: Matrix, _ pad: Int) -> ([Float], Int) {
        let ld = x.cols + pad
        var out = [Float](repeating: .nan, count: max(x.rows * ld, 1))
        for i in 0..<x.rows { for j in 0..<x.cols { out[i * ld + j] = x[i, j] } }
        return (out, max(ld, 1))
    }

    /// k = 0: C = beta C on both backends (BLAS itself would leave C alone at beta 1 only).
    @Test(arguments: [GEMMBackend.openBLAS, .oneDNN])
    func degenerateInnerDimensionScalesC(backend: GEMMBackend) {
        var c = [Float](repeating: 4, count: 6)
        let empty: [Float] = [0]
        for (beta, expected) in [(Float(0.5), Float(2)), (1, 2), (0, 0)] {
            empty.withUnsafeBufferPointer { e in
                c.withUnsafeMutableBufferPointer { uc in
                    BLAS.gemm(
                        .none, .none, m: 3, n: 2, k: 0, a: e.baseAddress!, lda: 1, b: e.baseAddress!, ldb: 2,
                        beta: beta, c: uc.baseAddress!, ldc: 2, backend: backend)
                }
            }
            #expect(c == [Float](repeating: expected, count: 6), "\(backend) beta \(beta)")
        }
    }

    /// `Matrix.gemm` with k = 0 on the process's backend.
    @Test func degenerateMatrixProductScalesC() {
        let a = Matrix.zeros(3, 0), b = Matrix.zeros(0, 2)
        var c = Matrix(rows: 3, cols: 2, repeating: 4)
        Matrix.gemm(a, b, into: &c, beta: 0.5)
        #expect(c == Matrix(rows: 3, cols: 2, repeating: 2))
        Matrix.gemm(a, b, into: &c)
        #expect(c == Matrix.zeros(3, 2))
    }

    /// The two backends agree on the recurrent layers' shapes to float rounding.
    @Test func backendsAgreeOnStepShapes() {
        var rng = SeededRandom(seed: 19)
        for (m, n, k) in [(32, 1024, 256), (64, 256, 4096), (4096, 65, 256)] {
            let a = Matrix.random(m, k, using: &rng), b = Matrix.random(n, k, using: &rng)
            var results: [[Float]] = []
            for backend in [GEMMBackend.openBLAS, .oneDNN] {
                var c = [Float](repeating: 0, count: m * n)
                a.storage.withUnsafeBufferPointer { ua in
                    b.storage.withUnsafeBufferPointer { ub in
                        c.withUnsafeMutableBufferPointer { uc in
                            BLAS.gemm(
                                .none, .transposed, m: m, n: n, k: k, a: ua.baseAddress!, lda: k,
                                b: ub.baseAddress!, ldb: k, c: uc.baseAddress!, ldc: n, backend: backend)
                        }
                    }
                }
                results.append(c)
            }
            let worst = zip(results[0], results[1]).map { abs($0 - $1) }.max()!
            #expect(worst <= 2e-6 * Float(k), "m=\(m) n=\(n) k=\(k): backends differ by \(worst)")
        }
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
            b.withUnsafeMutableBufferPointer {
                BLAS.transpose(rows: rows, cols: cols, a: pa.baseAddress!, lda: lda, into: $0.baseAddress!, ldb: ldb)
            }
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

    @Test(arguments: [GEMMBackend.openBLAS, .oneDNN])
    func blockGemmOnSubBuffers(backend: GEMMBackend) {
        // The RNN uses BLAS.gemm on blocks of larger buffers: check leading dimensions.
        var rng = SeededRandom(seed: 3)
        let big = Matrix.random(6, 10, using: &rng)  // A = big[1..<4, 2..<7]  ([3, 5], lda 10)
        let w = Matrix.random(4, 5, using: &rng)  // B = wᵀ ([5, 4])
        var out = [Float](repeating: 0, count: 3 * 4)
        big.storage.withUnsafeBufferPointer { pa in
            w.storage.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(
                        .none, .transposed, m: 3, n: 4, k: 5, a: pa.baseAddress! + 12, lda: 10,
                        b: pw.baseAddress!, ldb: 5, c: pc.baseAddress!, ldc: 4, backend: backend)
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

/// Which backend the process runs, and why.
struct GEMMBackendTests {
    /// The process's backend is what `SWIFT_RNN_GEMM` asks for (`auto` or unset: the rule).
    @Test func backendFollowsTheEnvironment() throws {
        let choice = try GEMM.environmentChoice()
        let expected = choice == .automatic ? GEMM.automaticChoice.backend : choice
        #expect(GEMM.backend == expected)
        #expect(GEMM.backend != .automatic)
    }

    /// `.automatic` is oneDNN exactly where the CPU has AVX-512 (and oneDNN is not held
    /// below it by DNNL_MAX_CPU_ISA).
    @Test func automaticChoiceFollowsTheISA() {
        let held = ProcessInfo.processInfo.environment["DNNL_MAX_CPU_ISA"].map { !$0.uppercased().hasPrefix("AVX512") } ?? false
        let avx512 = KernelVariant.bestSupported == .avx512 && !held
        #expect(GEMM.automaticChoice.backend == (avx512 ? .oneDNN : .openBLAS), "\(GEMM.automaticChoice.reason)")
    }
}
