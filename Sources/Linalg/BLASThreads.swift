import CBLAS

/// Control of OpenBLAS's worker threads, its warm-up, and the machine's measured
/// single-precision GEMM peak, which the benchmark reports everything against.
public enum BLASThreads {
    /// The number of threads OpenBLAS uses for the next call.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "BLAS thread count must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(newValue))
        }
    }

    /// The number of processors OpenBLAS sees.
    public static var processorCount: Int { Int(openblas_get_num_procs()) }

    /// Runs a few mid-sized GEMMs so that later ones run at full speed: a fresh
    /// process runs its first sgemm calls several times slower.
    /// - Complexity: about 0.1 GFLOP.
    public static func warmUp() {
        let n = 384
        let a = [Float](repeating: 0.5, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                for _ in 0..<3 {
                    BLAS.gemm(.none, .transposed, m: n, n: n, k: n, a: pa.baseAddress!, lda: n,
                              b: pa.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// The measured sgemm throughput in GFLOP/s (2·n³ per call) on `n x n`
    /// matrices with `threads` threads: the best of `repeats` timed calls after a
    /// warm-up. The thread count is restored afterwards.
    /// - Complexity: O(repeats · n³).
    public static func measureSgemmPeak(threads: Int, size n: Int = 1024, repeats: Int = 5) -> Double {
        let saved = count
        count = threads
        defer { count = saved }
        warmUp()
        var rng = SeededRandom(seed: 7)
        let a = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
        let b = (0..<(n * n)).map { _ in rng.uniform(-1, 1) }
        var c = [Float](repeating: 0, count: n * n)
        var best = Duration.seconds(1_000_000)
        let clock = ContinuousClock()
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for _ in 0..<(repeats + 1) {   // the first call is not counted
                        let elapsed = clock.measure {
                            BLAS.gemm(.none, .none, m: n, n: n, k: n, a: pa.baseAddress!, lda: n,
                                      b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                        }
                        best = min(best, elapsed)
                    }
                }
            }
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        return 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }
}
