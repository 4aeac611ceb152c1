import CBLAS
import CDNNL

/// How many threads the GEMMs (and OpenBLAS's other routines) use, their warm-up, and the
/// measured sgemm peak of each backend.
///
/// The two backends control threads differently:
/// - **oneDNN** runs on GNU OpenMP, whose thread count belongs to the calling thread: a
///   worker thread that asks for one thread gets single-threaded GEMMs while another
///   thread keeps its own count. `singleThreaded` uses that.
/// - **OpenBLAS** (Debian's pthread build, 0.3.21) has one process-wide count and no
///   per-thread control (`openblas_set_num_threads_local` came in 0.3.27), so asking
///   for one thread on any thread sets it for all.
public enum ComputeThreads {
    /// The number of threads of the GEMMs that the calling thread starts: setting it sets
    /// OpenBLAS's process-wide count and oneDNN's count for the calling thread.
    public static var count: Int {
        get { GEMM.backend == .oneDNN ? Int(omp_get_max_threads()) : Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "thread count must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(newValue))
            omp_set_num_threads(Int32(newValue))
        }
    }

    /// The number of processors OpenBLAS sees.
    package static var processorCount: Int { Int(openblas_get_num_procs()) }

    /// Runs `body` with the GEMMs that the calling thread starts single-threaded, as the
    /// batch split's workers need: oneDNN's count for this thread is 1 inside and restored
    /// after (other threads keep theirs); OpenBLAS's process-wide count is set to 1 and
    /// **left so**, because raising it again wakes its idle threads, which then spin and
    /// make a split step slower than an unsplit one. Both are set whatever the backend, so that OpenBLAS's
    /// level-1 routines (`axpy` over a weight's gradient) do not fork inside a worker.
    /// - Complexity: O(1) besides `body`.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
        let saved = omp_get_max_threads()
        if saved != 1 { omp_set_num_threads(1) }
        defer { if saved != 1 { omp_set_num_threads(saved) } }
        return try body()
    }

    /// Runs a few mid-sized GEMMs so that later ones run at full speed: a fresh
    /// process runs its first sgemm calls several times slower (and oneDNN generates its
    /// kernels at its first call).
    /// - Complexity: about 0.1 GFLOP.
    package static func warmUp() {
        let n = 384
        let a = [Float](repeating: 0.5, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                for _ in 0..<3 {
                    BLAS.gemm(
                        .none, .transposed, m: n, n: n, k: n, a: pa.baseAddress!, lda: n,
                        b: pa.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// The measured sgemm throughput in GFLOP/s (2·n³ per call) of `backend` (default:
    /// the one in use) on `n x n` matrices with `threads` threads: the best of `repeats`
    /// timed calls after a warm-up. The backend and the thread count are restored
    /// afterwards. Package access: the bench's yardstick.
    /// - Complexity: O(repeats · n³).
    package static func measureSgemmPeak(
        threads: Int, backend: GEMMBackend? = nil, size n: Int = 1024,
        repeats: Int = 5
    ) -> Double {
        let savedBackend = GEMM.backend
        if let backend { GEMM.select(backend) }
        let saved = count
        count = threads
        defer {
            count = saved
            GEMM.select(savedBackend)
        }
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
                    for _ in 0..<(repeats + 1) {  // the first call is not counted
                        let elapsed = clock.measure {
                            BLAS.gemm(
                                .none, .none, m: n, n: n, k: n, a: pa.baseAddress!, lda: n,
                                b: pb.baseAddress!, ldb: n, c: pc.baseAddress!, ldc: n)
                        }
                        best = min(best, elapsed)
                    }
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) / best.seconds / 1e9
    }
}
