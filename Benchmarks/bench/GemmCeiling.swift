import Linalg

/// The best "% of peak" a training step of a configuration could reach if everything but
/// its GEMMs took no time: each GEMM shape the step runs (`GemmCeiling.shapes`) is timed
/// alone in this process, at the bench's thread count, and the step's GEMM time is the
/// sum over shapes of calls × best time. The model's FLOPs over that time, as a share of
/// the 1024³ sgemm peak, is the ceiling; the measured "% peak" over it is how much of
/// the reachable speed the whole step gets (the rest is elementwise work, the optimizer
/// and bookkeeping).
///
/// OpenBLAS runs the thin and short shapes of a recurrent step (`[B, H] x [H, G·H]` with
/// B = 64, the output layer's N = V) well below its square-matrix peak, so the ceiling is
/// what bounds "% peak" first.
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

    /// Times every shape of `c` (best of `repeats` calls after one untimed call) with the
    /// current OpenBLAS thread count.
    /// - Complexity: about `repeats + 1` training steps' worth of GEMMs.
    static func measure(_ c: BenchConfiguration, repeats: Int = 5) -> GemmCeiling {
        let list = shapes(c)
        var rng = SeededRandom(seed: 3)
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for s in list {
            let a = (0..<(s.m * s.k)).map { _ in rng.uniform(-0.1, 0.1) }
            let b = (0..<(s.k * s.n)).map { _ in rng.uniform(-0.1, 0.1) }
            var out = [Float](repeating: 0, count: s.m * s.n)
            let lda = s.transA == .none ? s.k : s.m, ldb = s.transB == .none ? s.n : s.k
            var best = Double.infinity
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        for r in 0...repeats {
                            let elapsed = clock.measure {
                                BLAS.gemm(s.transA, s.transB, m: s.m, n: s.n, k: s.k, a: pa.baseAddress!, lda: lda,
                                          b: pb.baseAddress!, ldb: ldb, beta: 1, c: pc.baseAddress!, ldc: s.n)
                            }
                            if r > 0 { best = min(best, elapsed.seconds) }
                        }
                    }
                }
            }
            seconds.append(best)
        }
        let stepSeconds = zip(list, seconds).reduce(0) { $0 + Double($1.0.calls) * $1.1 }
        let stepFlops = list.reduce(0) { $0 + Double($1.calls) * $1.flops }
        return GemmCeiling(secondsPerCall: seconds, shapes: list, gflops: stepFlops / stepSeconds / 1e9,
                           flopsPerToken: stepFlops / Double(c.seqLength * c.batch))
    }
}
