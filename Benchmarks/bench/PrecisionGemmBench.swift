import Linalg

/// `bench --gemm-precisions`: every GEMM shape of each configuration's training step
/// (`GemmCeiling.shapes`), timed alone in fp32 (`BLAS.gemm`) and in bf16 with float
/// accumulation (`BLAS.gemmBF16`), with the GEMM library's own threads, beside the fp32
/// FMA peak and the bf16 dot-product peak measured in the same process. What bf16 mixed
/// precision could give a training step before any of it is built into one.
struct PrecisionGemmBench {
    /// One shape's rates.
    struct Shape: Encodable {
        var what: String
        var m: Int, n: Int, k: Int
        var transposedA: Bool, transposedB: Bool
        var callsPerStep: Int
        var fp32Gflops: Double
        var bf16Gflops: Double
        var ratio: Double { bf16Gflops / fp32Gflops }

        enum CodingKeys: String, CodingKey {
            case what, m, n, k
            case callsPerStep = "calls_per_step"
            case fp32Gflops = "fp32_gflops"
            case bf16Gflops = "bf16_gflops"
            case transposedA = "transposed_a"
            case transposedB = "transposed_b"
        }
    }

    /// One configuration, cell and thread count.
    struct Result: Encodable {
        var configuration: String
        var cell: String
        var threads: Int
        var cpu: String
        var onednnISA: String
        var fmaPeakGflops: Double
        var bf16DotPeakGflops: Double
        /// The step's GEMM FLOPs over its summed GEMM time, in each precision.
        var fp32CeilingGflops: Double
        var bf16CeilingGflops: Double
        var shapes: [Shape]

        enum CodingKeys: String, CodingKey {
            case configuration, cell, threads, cpu, shapes
            case onednnISA = "onednn_isa"
            case fmaPeakGflops = "fma_peak_gflops"
            case bf16DotPeakGflops = "bf16_dot_peak_gflops"
            case fp32CeilingGflops = "fp32_ceiling_gflops"
            case bf16CeilingGflops = "bf16_ceiling_gflops"
        }
    }

    var configurations: [BenchConfiguration]
    var threads: [Int]

    /// Times every configuration at every thread count.
    /// - Throws: `PrecisionError` where the CPU has no bf16 hardware.
    func run() throws -> [Result] {
        try Precision.bf16.check()
        ComputeThreads.warmUp()
        let saved = ComputeThreads.count
        defer { ComputeThreads.count = saved }
        var results: [Result] = []
        for n in threads {
            let fma = FMAPeak.measure(threads: n), dot = FMAPeak.measureBF16(threads: n)
            for c in configurations {
                ComputeThreads.count = n
                let fp32 = GemmCeiling.measure(c, precision: .fp32), bf16 = GemmCeiling.measure(c, precision: .bf16)
                let shapes = zip(fp32.shapes, zip(fp32.secondsPerCall, bf16.secondsPerCall)).map { s, seconds in
                    Shape(
                        what: s.what, m: s.m, n: s.n, k: s.k, transposedA: s.transA == .transposed,
                        transposedB: s.transB == .transposed, callsPerStep: s.calls,
                        fp32Gflops: s.flops / seconds.0 / 1e9, bf16Gflops: s.flops / seconds.1 / 1e9)
                }
                results.append(
                    Result(
                        configuration: c.name, cell: c.cell.rawValue, threads: n, cpu: Machine.cpuModel,
                        onednnISA: BF16Support.current.isa, fmaPeakGflops: fma, bf16DotPeakGflops: dot,
                        fp32CeilingGflops: fp32.gflops, bf16CeilingGflops: bf16.gflops, shapes: shapes))
            }
        }
        return results
    }

    /// One table per configuration: each shape's fp32 and bf16 GFLOP/s and their ratio,
    /// then the step's ceiling in each precision against its peak.
    static func report(_ results: [Result]) -> String {
        guard let first = results.first else { return "" }
        var out = "CPU: \(first.cpu); oneDNN ISA \(first.onednnISA)\n"
        for r in results {
            out += "\n\(r.configuration)/\(r.cell), \(r.threads) thread\(r.threads == 1 ? "" : "s"): "
            out += "FMA peak \(Report.fixed(r.fmaPeakGflops, 1)) GFLOP/s, bf16 dot peak \(Report.fixed(r.bf16DotPeakGflops, 1))\n"
            let rows = r.shapes.map { s in
                [
                    s.what, "\(s.m)x\(s.n)x\(s.k)\(s.transposedA ? " Aᵀ" : "")\(s.transposedB ? " Bᵀ" : "")", "\(s.callsPerStep)",
                    Report.fixed(s.fp32Gflops, 1), Report.fixed(s.bf16Gflops, 1), Report.fixed(s.ratio, 2) + "x",
                ]
            }
            let step = [
                "the step's GEMMs (ceiling)", "", "", Report.fixed(r.fp32CeilingGflops, 1), Report.fixed(r.bf16CeilingGflops, 1),
                Report.fixed(r.bf16CeilingGflops / r.fp32CeilingGflops, 2) + "x",
            ]
            let peaks = [
                "  % of its precision's peak", "", "", Report.fixed(100 * r.fp32CeilingGflops / r.fmaPeakGflops, 0) + "%",
                Report.fixed(100 * r.bf16CeilingGflops / r.bf16DotPeakGflops, 0) + "%", "",
            ]
            out += Report.table(["GEMM", "m x n x k", "calls", "fp32 GFLOP/s", "bf16 GFLOP/s", "bf16/fp32"], rows + [step, peaks])
        }
        return out
    }
}
