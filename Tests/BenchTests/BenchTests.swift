import Foundation
import Linalg
import Testing
import ToolTesting

/// The `bench` executable through its command line: the configurations it resolves for
/// each cell, its FLOP model, a short timed run of every cell, and bad options.
/// (Its timings are not asserted: speed is measured by running the bench, not in tests.)
@Suite struct BenchTests {
    /// The FLOP model written out independently of the bench's code: per token,
    /// G·(6H² + 12H²(L−1)) + 6HV with G = 1, 3, 4 gate blocks.
    private func expectedFlops(vocab V: Double, hidden H: Double, layers L: Double, cell: String) -> Double {
        let gates: [String: Double] = ["rnn": 1, "gru": 3, "lstm": 4]
        return gates[cell]! * (6 * H * H + 12 * H * H * (L - 1)) + 6 * H * V
    }

    private func jsonArray(_ path: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    /// `--config seq2seq`: the encoder-decoder's training and beam-search rates, as a table and
    /// JSON; it runs alone.
    @Test(.precision(.fp32)) func sequenceToSequenceReportsTrainingAndBeamRates() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/seq2seq.json"
            let r = try ToolProcess.run(
                ["--config", "seq2seq", "--cell", "gru", "--threads", "1", "--hidden", "16", "--batch", "8", "--json", path],
                timeout: 300, tool: .bench)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("seq2seq/gru") && r.stdout.contains("beam sources/s"), "\(r)")
            let results = try jsonArray(path)
            #expect(results.count == 1, "\(results)")
            let result = try #require(results.first)
            #expect(result["hidden"] as? Int == 16 && result["batch"] as? Int == 8 && result["beam"] as? Int == 5, "\(result)")
            #expect((result["trainTokensPerSecond"] as? Double ?? 0) > 0 && (result["decodeSequencesPerSecond"] as? Double ?? 0) > 0)
            let mixed = try ToolProcess.run(["--config", "seq2seq,ref"], tool: .bench)
            #expect(mixed.status != 0 && mixed.stderr.contains("--config seq2seq (an encoder-decoder, not a character model) runs alone"))
        }
    }

    @Test func listResolvesEveryCellWithItsCorpusAndFlops() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/configs.json"
            let r = try ToolProcess.run(
                ["--list", "--config", "ref,deep,seed", "--cell", "all", "--json", path],
                tool: .bench)
            #expect(r.status == 0, "\(r)")
            let configs = try jsonArray(path)
            #expect(
                configs.map { "\($0["name"]!)/\($0["cell"]!)" }
                    == [
                        "ref/rnn", "ref/gru", "ref/lstm", "deep/rnn", "deep/gru", "deep/lstm",
                        "seed/rnn", "seed/gru", "seed/lstm",
                    ])
            // ref: 32 chunks of 64 steps per stream; a gated cell keeps 1/G of them.
            let chunks: [String: Int] = ["rnn": 32, "gru": 10, "lstm": 8]
            for c in configs where c["name"] as? String == "ref" {
                let cell = c["cell"] as! String
                #expect(c["steps_per_epoch"] as? Int == chunks[cell], "\(cell)")
                #expect(c["corpus_tokens"] as? Int == 64 * (chunks[cell]! * 64 + 1), "\(cell)")
                #expect(c["tokens_per_epoch"] as? Int == chunks[cell]! * 64 * 64, "\(cell)")
            }
            // The full-batch tutorial keeps its 100 steps for every cell.
            for c in configs where c["name"] as? String == "seed" {
                #expect(c["steps_per_epoch"] as? Int == 100)
            }
            // The table printed on standard output has the same FLOPs per token.
            for c in configs {
                let cell = c["cell"] as! String, name = c["name"] as! String
                let flops = expectedFlops(
                    vocab: Double(c["vocab"] as! Int), hidden: Double(c["hidden"] as! Int),
                    layers: Double(c["layers"] as! Int), cell: cell)
                let grouped = Int(flops).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
                let row = r.stdout.split(separator: "\n").first {
                    $0.split(separator: " ").prefix(2).map(String.init) == [name, cell]
                }
                #expect(row != nil, "\(name)/\(cell) missing from\n\(r.stdout)")
                #expect(row?.contains(" \(grouped) ") ?? false, "\(name)/\(cell): expected \(grouped) FLOPs in \(row ?? "")")
            }
        }
    }

    @Test func everyCellTrainsAndReportsTheGatedFlopModel() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/results.json"
            let r = try ToolProcess.run(
                [
                    "--config", "seed", "--cell", "rnn,gru,lstm", "--threads", "1",
                    "--epochs", "2", "--json", path,
                ], timeout: 120, tool: .bench)
            #expect(r.status == 0, "\(r)")
            let results = try jsonArray(path)
            #expect(results.count == 3)
            for result in results {
                let c = try #require(result["configuration"] as? [String: Any])
                let cell = try #require(c["cell"] as? String)
                let flops = expectedFlops(vocab: 17, hidden: 12, layers: 1, cell: cell)
                #expect(result["flops_per_token"] as? Double == flops, "\(cell)")
                let losses = try #require(result["epoch_losses"] as? [Double])
                #expect(losses.count == 2)
                // An epoch is the tutorial's 100 Adam steps from the same initialization:
                // the mean loss is finite and below the uniform guess ln 17 = 2.83.
                #expect(losses.allSatisfy { $0.isFinite && $0 < log(17.0) }, "\(cell): \(losses)")
                let tps = try #require(result["tokens_per_second"] as? Double)
                let gflops = try #require(result["achieved_gflops"] as? Double)
                #expect(abs(gflops - flops * tps / 1e9) <= 1e-6 * gflops, "\(cell)")
                // Every rate against the FMA peak, beside both backends' sgemm peaks; which
                // backend and kernel variant ran.
                // This process reads the same SWIFT_RNN_GEMM.
                #expect(result["gemm_backend"] as? String == GEMM.backend.rawValue, "\(cell)")
                #expect(result["kernel_variant"] as? String == KernelVariant.current.name, "\(cell)")
                let fma = try #require(result["fma_peak_gflops"] as? Double)
                let ofFma = try #require(result["percent_of_fma_peak"] as? Double)
                #expect(fma > 0 && abs(ofFma - 100 * gflops / fma) <= 1e-9 * ofFma, "\(cell)")
                let peaks = try #require(result["sgemm_peak_gflops_by_backend"] as? [String: Double])
                let ofPeaks = try #require(result["percent_of_sgemm_peak_by_backend"] as? [String: Double])
                #expect(Set(peaks.keys) == ["openblas", "onednn"] && Set(ofPeaks.keys) == Set(peaks.keys), "\(peaks)")
                for (name, peak) in peaks { #expect(abs(ofPeaks[name]! - 100 * gflops / peak) <= 1e-9 * ofPeaks[name]!) }
                // The GEMMs alone cannot beat the FMA peak — in a release build: a debug build
                // compiles the FMA-peak loop (our C) unoptimized, while the GEMMs stay the
                // libraries' optimized code.
                let ceilingOfFma = try #require(result["gemm_ceiling_percent_of_fma_peak"] as? Double)
                #expect(
                    ceilingOfFma > 0 && (result["build"] as? String != "release" || ceilingOfFma <= 100),
                    "\(cell): the GEMMs alone at \(ceilingOfFma)% of the FMA peak")
                // The GEMM shapes timed alone for the ceiling are the model's FLOPs too,
                // and the whole step cannot beat its GEMMs alone by much (timing noise).
                let ceilingFlops = try #require(result["gemm_ceiling_flops_per_token"] as? Double)
                #expect(abs(ceilingFlops - flops) <= 1e-9 * flops, "\(cell): shapes give \(ceilingFlops)")
                let shapes = try #require(result["gemm_shapes"] as? [[String: Any]])
                #expect(shapes.count == 6, "\(cell): \(shapes.count) GEMM shapes for one layer")
                let ofCeiling = try #require(result["percent_of_gemm_ceiling"] as? Double)
                #expect(ofCeiling > 0 && ofCeiling < 150, "\(cell): \(ofCeiling)% of the GEMM ceiling")
                // The profiled phases' GEMM FLOPs add up to the model's.
                let phases = try #require(result["phases"] as? [[String: Any]])
                let phaseFlops = phases.compactMap { $0["flops_per_token"] as? Double }.reduce(0, +)
                #expect(abs(phaseFlops - flops) <= 1e-9 * flops, "\(cell)")
            }
            #expect(r.stdout.contains("seed/gru") && r.stdout.contains("seed/lstm"), "\(r)")
        }
    }

    /// `--parallelism batch` splits each batch across the threads (DataParallelModel):
    /// the results say so, train, and the ceiling's per-worker shapes add up to the
    /// model's FLOPs; `auto` leaves the tutorial's tiny step to OpenBLAS.
    /// `--inference`: every cell's eval, single- and batch-sample rates and their bounds, per
    /// thread count, as a table and JSON (rates are measured, so only their consistency is
    /// checked).
    @Test(.precision(.fp32)) func inferenceReportsRatesAndBounds() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/inference.json"
            let r = try ToolProcess.run(
                [
                    "--inference", "--vocab", "11", "--hidden", "8", "--layers", "2", "--threads", "1,2",
                    "--json", path,
                ], timeout: 180, tool: .bench)
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("bench --inference") && r.stdout.contains("1 sample/bound"), "\(r)")
            let results = try jsonArray(path)
            #expect(
                results.map { "\($0["cell"] ?? "?")/\($0["threads"] ?? "?")" }
                    == ["rnn/1", "gru/1", "lstm/1", "rnn/2", "gru/2", "lstm/2"])
            for (result, G) in zip(results, [1.0, 3.0, 4.0, 1.0, 3.0, 4.0]) {
                // One step's weights: W_hh of both layers, the upper layer's W_ih, the output layer.
                #expect(result["weightBytesPerStep"] as? Double == 4 * (3 * G * 64 + 88), "\(result)")
                for key in [
                    "evalTokensPerSecond", "singleTokensPerSecond", "batchTokensPerSecond", "boundTokensPerSecond",
                    "batchBoundTokensPerSecond", "fmaPeak",
                ] {
                    #expect(((result[key] as? Double) ?? 0) > 0, "\(key): \(result)")
                }
                #expect(result["batchSize"] as? Int == 32)
            }
        }
    }

    /// `--inference --precision bf16`: the weights read are 2 bytes each, the batch bound
    /// the bf16 peak, and the eval's loss beside the fp32 loss of the same model; refused
    /// with the reason where the CPU has no bf16 hardware.
    @Test func inferenceRunsInBF16() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/inference.json"
            let r = try ToolProcess.run(
                [
                    "--inference", "--cell", "lstm", "--vocab", "11", "--hidden", "8", "--layers", "2", "--threads", "1",
                    "--precision", "bf16", "--json", path,
                ], timeout: 180, tool: .bench)
            guard BF16Support.current.isAvailable else {
                #expect(r.status != 0 && r.stderr.contains("bf16 needs a CPU with AVX-512 BF16"), "\(r)")
                return
            }
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("bf16 (oneDNN ISA ") && r.stdout.contains("eval loss (- fp32)"), "\(r)")
            let result = try #require(try jsonArray(path).first)
            #expect(result["precision"] as? String == "bf16", "\(result)")
            #expect(result["weightBytesPerStep"] as? Double == 2.0 * (3 * 4 * 64 + 88), "\(result)")
            let loss = try #require(result["evalLoss"] as? Double), fp32 = try #require(result["fp32EvalLoss"] as? Double)
            #expect(loss.isFinite && abs(loss - fp32) < 1e-2, "bf16 \(loss), fp32 \(fp32)")
        }
    }

    @Test func batchSplitRunsReportTheirWorkers() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/results.json"
            let r = try ToolProcess.run(
                [
                    "--config", "seed", "--batch", "4", "--threads", "2", "--parallelism", "batch",
                    "--epochs", "1", "--json", path,
                ], timeout: 120, tool: .bench)
            #expect(r.status == 0, "\(r)")
            let result = try #require(try jsonArray(path).first)
            #expect(result["parallelism"] as? String == "batch" && result["workers"] as? Int == 2, "\(result)")
            #expect(r.stdout.contains("batch/2"), "\(r)")
            let losses = try #require(result["epoch_losses"] as? [Double])
            #expect(losses.count == 1 && losses[0].isFinite && losses[0] < log(17.0), "\(losses)")
            let flops = expectedFlops(vocab: 17, hidden: 12, layers: 1, cell: "rnn")
            let ceilingFlops = try #require(result["gemm_ceiling_flops_per_token"] as? Double)
            #expect(abs(ceilingFlops - flops) <= 1e-9 * flops, "the 2 workers' shapes give \(ceilingFlops)")

            let auto = try ToolProcess.run(
                [
                    "--config", "seed", "--threads", "2", "--epochs", "1", "--no-ceiling",
                    "--no-profile", "--json", path,
                ], timeout: 120, tool: .bench)
            #expect(auto.status == 0, "\(auto)")
            let autoResult = try #require(try jsonArray(path).first)
            #expect(autoResult["parallelism"] as? String == "blas" && autoResult["workers"] as? Int == 1, "\(autoResult)")
        }
    }

    /// `--gemm openblas` runs every GEMM on OpenBLAS and says so.
    @Test func gemmOptionChoosesTheBackend() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/results.json"
            let r = try ToolProcess.run(
                [
                    "--config", "seed", "--threads", "1", "--epochs", "1", "--no-profile", "--no-ceiling",
                    "--gemm", "openblas", "--json", path,
                ], timeout: 120, tool: .bench)
            #expect(r.status == 0, "\(r)")
            let result = try #require(try jsonArray(path).first)
            #expect(result["gemm_backend"] as? String == "openblas", "\(result)")
            #expect(r.stdout.contains("GEMM OpenBLAS"), "\(r)")
            let bad = try ToolProcess.run(["--list", "--gemm", "mkl"], tool: .bench)
            #expect(bad.status != 0 && !bad.signaled && bad.stderr.contains("--gemm"), "\(bad)")
            let env = try ToolProcess.run(["--list"], tool: .bench, environment: ["SWIFT_RNN_GEMM": "mkl"])
            #expect(env.status != 0 && env.stderr.contains("SWIFT_RNN_GEMM must be one of openblas, onednn, auto"), "\(env)")
        }
    }

    /// `--gemm-precisions` times the step's GEMM shapes (the ones `--list`'s FLOP model
    /// counts) in both precisions beside both peaks; without bf16 hardware it says so and
    /// fails.
    @Test func gemmPrecisionsTimesEveryShapeInBothPrecisions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/precisions.json"
            let r = try ToolProcess.run(
                [
                    "--gemm-precisions", "--config", "ref", "--cell", "gru", "--hidden", "16", "--vocab", "11", "--layers", "2",
                    "--batch", "4", "--seq-length", "5", "--threads", "1", "--json", path,
                ],
                tool: .bench)
            guard BF16Support.current.isAvailable else {
                #expect(r.status != 0 && r.stderr.contains("bf16 needs a CPU with AVX-512 BF16 or AMX"), "\(r)")
                return
            }
            #expect(r.status == 0, "\(r)")
            let results = try jsonArray(path)
            #expect(results.count == 1)
            let result = try #require(results.first)
            #expect(result["configuration"] as? String == "ref" && result["cell"] as? String == "gru")
            let shapes = try #require(result["shapes"] as? [[String: Any]])
            // Per token: the step's GEMM FLOPs over T·B tokens equal the FLOP model's.
            let flops = shapes.reduce(0.0) { total, s in
                total + 2 * Double(s["m"] as! Int) * Double(s["n"] as! Int) * Double(s["k"] as! Int) * Double(s["calls_per_step"] as! Int)
            }
            #expect(abs(flops / 20 - expectedFlops(vocab: 11, hidden: 16, layers: 2, cell: "gru")) < 1e-6, "\(flops / 20)")
            for s in shapes {
                #expect((s["fp32_gflops"] as! Double) > 0 && (s["bf16_gflops"] as! Double) > 0, "\(s)")
            }
            #expect((result["bf16_dot_peak_gflops"] as! Double) > 0 && (result["fma_peak_gflops"] as! Double) > 0)
            #expect(r.stdout.contains("bf16/fp32") && r.stdout.contains("oneDNN ISA"), "\(r)")
        }
    }

    /// `--precision bf16` trains in bf16 and says so in the JSON; an unknown precision, or
    /// bf16 without the hardware, is a clear error.
    @Test func precisionOptionTrainsInBF16OrSaysWhyNot() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/bf16.json"
            let r = try ToolProcess.run(
                [
                    "--config", "ref", "--cell", "lstm", "--hidden", "16", "--vocab", "11", "--batch", "4", "--seq-length", "5",
                    "--tokens", "400", "--threads", "1", "--epochs", "1", "--no-profile", "--no-ceiling", "--precision", "bf16",
                    "--json", path,
                ],
                tool: .bench)
            guard BF16Support.current.isAvailable else {
                #expect(r.status != 0 && r.stderr.contains("--precision bf16: bf16 needs a CPU with AVX-512 BF16"), "\(r)")
                return
            }
            #expect(r.status == 0, "\(r)")
            let result = try #require(try jsonArray(path).first)
            #expect(result["precision"] as? String == "bf16", "\(result)")
            #expect(["avx512_core_bf16", "avx512_core_amx"].contains(result["onednn_isa"] as? String), "\(result)")
            #expect(r.stdout.contains(" bf16 (oneDNN ISA avx512_core_"), "\(r)")
        }
        let bad = try ToolProcess.run(["--list", "--precision", "fp16"], tool: .bench)
        #expect(bad.status != 0 && bad.stderr.contains("Unknown --precision 'fp16'. It takes fp32 or bf16."), "\(bad)")
    }

    @Test func badParallelismIsAClearError() throws {
        let r = try ToolProcess.run(["--list", "--parallelism", "threads"], tool: .bench)
        #expect(r.status != 0 && !r.signaled, "\(r)")
        #expect(r.stderr.contains("Unknown --parallelism 'threads'") && r.stderr.contains("auto, batch or blas"), "\(r)")
    }

    @Test func badCellIsAClearError() throws {
        let r = try ToolProcess.run(["--list", "--cell", "rnn,transformer"], tool: .bench)
        #expect(r.status != 0 && !r.signaled, "\(r)")
        #expect(r.stderr.contains("Unknown cell 'transformer'") && r.stderr.contains("rnn, gru, lstm or all"), "\(r)")
    }
}
