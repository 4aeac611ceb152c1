import Dispatch
import Linalg

/// The best "% of peak" a training step of a configuration could reach if everything but
/// its GEMMs took no time: each GEMM shape the step runs (`GemmCeiling.shapes`) is timed
/// alone in this process, at the bench's thread count, and the step's GEMM time is the
/// sum over shapes of calls × best time. The model's FLOPs over that time, as a share of
/// the 1024³ sgemm peak, is the ceiling; the measured "% peak" over it is how much of
/// the reachable speed the whole step gets (the rest is elementwise work, the optimizer
/// and bookkeeping).
///
/// A shape is timed as a step runs it: its `calls` calls back to back (the `T` per-step
/// products reuse the same weights), best of a few repeats.
///
/// OpenBLAS runs the thin and short shapes of a recurrent step (`[B, H] x [H, G·H]` with
/// B = 64, the output layer's N = V) well below its square-matrix peak, so the ceiling is
/// what bounds "% peak" first.
///
/// With the batch split across `workers` threads, the shapes are each worker's (its
/// `B / workers` sequences), and each is timed running on all worker threads at once with
/// single-threaded OpenBLAS, as the training step runs them.
///
/// ```swift
/// let c = GemmCeiling.measure(BenchConfiguration.named("ref")!)
/// 100 * c.gflops / peak   // the ceiling as % of the sgemm peak, e.g. 78
/// ```
struct GemmCeiling {
    /// One GEMM shape of a training step: `C[m, n] (+)= op(A) op(B)` with inner size `k`,
    /// run `calls` times per step.
    struct Shape: Equatable, CustomStringConvertible {
        var what: String
        var transA: Transpose, transB: Transpose
        var m: Int, n: Int, k: Int
        var calls: Int

        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
        var description: String {
            "\(what): [\(m)x\(k)]x[\(k)x\(n)]\(transA == .transposed ? " Aᵀ" : "")\(transB == .transposed ? " Bᵀ" : "") x\(calls)"
        }
    }

    /// Best seconds of one call of each shape, in `shapes` order.
    var secondsPerCall: [Double]
    var shapes: [Shape]
    /// The model's GEMM FLOPs per step over the summed GEMM time, in GFLOP/s.
    var gflops: Double
    /// The shapes' FLOPs per token (equals `FlopModel.trainingFlopsPerToken`).
    var flopsPerToken: Double

    /// The GEMMs of one training step, as `RecurrentStack`, `Linear` and the model run them
    /// (layer 0 takes tokens: its input projection is a gather, no `dX`).
    static func shapes(_ c: BenchConfiguration) -> [Shape] {
        let H = c.hidden, gH = c.cell.gateCount * c.hidden, V = c.vocab, T = c.seqLength, N = c.seqLength * c.batch
        let L = c.layers
        var s: [Shape] = [
            Shape(what: "forward step h W_hhᵀ", transA: .none, transB: .none, m: c.batch, n: gH, k: H, calls: T * L),
            Shape(what: "backward step dA W_hh", transA: .none, transB: .none, m: c.batch, n: H, k: gH, calls: T * L),
            Shape(what: "dW_hh = dAᵀ H", transA: .transposed, transB: .none, m: gH, n: H, k: N, calls: L),
        ]
        if L > 1 {
            s += [
                Shape(what: "input projection X W_ihᵀ", transA: .none, transB: .transposed, m: N, n: gH, k: H, calls: L - 1),
                Shape(what: "dW_ih = dAᵀ X", transA: .transposed, transB: .none, m: gH, n: H, k: N, calls: L - 1),
                Shape(what: "dX = dA W_ih", transA: .none, transB: .none, m: N, n: H, k: gH, calls: L - 1),
            ]
        }
        s += [
            Shape(what: "logits H W_oᵀ", transA: .none, transB: .transposed, m: N, n: V, k: H, calls: 1),
            Shape(what: "dW_o = dYᵀ H", transA: .transposed, transB: .none, m: V, n: H, k: N, calls: 1),
            Shape(what: "dH = dY W_o", transA: .none, transB: .none, m: N, n: H, k: V, calls: 1),
        ]
        return s
    }

    /// Times every shape of `c` (its `calls` calls back to back; best of `repeats` after one
    /// untimed round) on the backend in use with the current thread count, or, with
    /// `workers` > 1, the shapes of one worker's slice of the batch on `workers` threads at
    /// once (each in `ComputeThreads.singleThreaded`, one fork and join per round as in a
    /// training step).
    /// - Complexity: about `repeats + 1` training steps' worth of GEMMs.
    static func measure(_ c: BenchConfiguration, workers: Int = 1, precision: Precision = .fp32, repeats: Int = 3)
        -> GemmCeiling
    {
        var slice = c
        slice.batch = (c.batch + workers - 1) / workers  // the largest slice sets the pace
        let list = shapes(slice)
        let savedThreads = ComputeThreads.count  // the workers' singleThreaded leaves OpenBLAS at 1
        defer { ComputeThreads.count = savedThreads }
        var rng = SeededRandom(seed: 3)
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for s in list {
            let operands = (0..<workers).map { _ in GemmOperands(s, precision: precision, using: &rng) }
            var best = Double.infinity
            for r in 0...repeats {
                let elapsed = clock.measure {
                    if workers == 1 {
                        operands[0].run(times: s.calls)
                    } else {
                        // OpenBLAS's count is process-wide: set to 1 here, before the workers
                        // start, as DataParallelModel does.
                        ComputeThreads.singleThreaded {
                            DispatchQueue.concurrentPerform(iterations: workers) { w in
                                ComputeThreads.singleThreaded { operands[w].run(times: s.calls) }
                            }
                        }
                    }
                }
                if r > 0 { best = min(best, elapsed.seconds / Double(s.calls)) }
            }
            seconds.append(best)
        }
        let stepSeconds = zip(list, seconds).reduce(0) { $0 + Double($1.0.calls) * $1.1 }
        let stepFlops = Double(workers) * list.reduce(0) { $0 + Double($1.calls) * $1.flops }
        return GemmCeiling(
            secondsPerCall: seconds, shapes: list, gflops: stepFlops / stepSeconds / 1e9,
            flopsPerToken: stepFlops / Double(c.seqLength * slice.batch * workers))
    }
}

/// Seeded operands and an output for one GEMM shape; `run` does the product `times`
/// times (`beta` 1, as the training step accumulates), in fp32 or with the operands
/// rounded to bf16 once (`BLAS.gemmBF16`).
private final class GemmOperands: @unchecked Sendable {
    let shape: GemmCeiling.Shape
    let precision: Precision
    let a: UnsafeMutableBufferPointer<Float>, b: UnsafeMutableBufferPointer<Float>
    /// The operands rounded to bf16 (empty in fp32).
    let a16: UnsafeMutableBufferPointer<UInt16>, b16: UnsafeMutableBufferPointer<UInt16>
    let c: UnsafeMutableBufferPointer<Float>

    init(_ s: GemmCeiling.Shape, precision: Precision, using rng: inout SeededRandom) {
        shape = s
        self.precision = precision
        a = .allocate(capacity: s.m * s.k)
        b = .allocate(capacity: s.k * s.n)
        c = .allocate(capacity: s.m * s.n)
        for i in a.indices { a[i] = rng.uniform(-0.1, 0.1) }
        for i in b.indices { b[i] = rng.uniform(-0.1, 0.1) }
        c.initialize(repeating: 0)
        let bf16 = precision == .bf16
        a16 = .allocate(capacity: bf16 ? a.count : 0)
        b16 = .allocate(capacity: bf16 ? b.count : 0)
        if bf16 {
            BFloat16.round(a.baseAddress!, count: a.count, into: a16.baseAddress!)
            BFloat16.round(b.baseAddress!, count: b.count, into: b16.baseAddress!)
        }
    }

    deinit {
        a.deallocate()
        b.deallocate()
        c.deallocate()
        a16.deallocate()
        b16.deallocate()
    }

    func run(times: Int) {
        let s = shape
        let lda = s.transA == .none ? s.k : s.m, ldb = s.transB == .none ? s.n : s.k
        for _ in 0..<times {
            switch precision {
            case .fp32:
                BLAS.gemm(
                    s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: a.baseAddress!, lda: lda,
                    b: b.baseAddress!, ldb: ldb, beta: 1, c: c.baseAddress!, ldc: s.n)
            case .bf16:
                BLAS.gemmBF16(
                    s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: a16.baseAddress!, lda: lda,
                    b: b16.baseAddress!, ldb: ldb, beta: 1, c: c.baseAddress!, ldc: s.n)
            }
        }
    }
}
