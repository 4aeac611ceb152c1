import Foundation
import Linalg
import Testing
import ToolTesting

/// `charrnn --gemm` and `SWIFT_RNN_GEMM` / `SWIFT_RNN_KERNELS` through the binary: both
/// backends train to the same losses, the header says which ran, bad values are refused.
@Suite struct GEMMBackendChoiceTests {
    static let lstm = [
        "--cell", "lstm", "--hidden-size", "32", "--num-layers", "2", "--seq-length", "8",
        "--batch-size", "4", "--threads", "1", "--steps", "20", "--val-fraction", "0",
    ]

    /// The per-step training losses of the same 20 steps (2-layer LSTM, 32 units, Adam) on
    /// OpenBLAS and on oneDNN: their products differ by float rounding only, so the
    /// losses agree to 1e-4 (measured on an AMD EPYC Zen 5: equal in all 8 printed digits).
    @Test(.precision(.fp32)) func bothBackendsTrainToTheSameLosses() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 5), to: "c.txt", in: dir)
            var losses: [[Double]] = []
            for backend in ["openblas", "onednn"] {
                let r = try ToolProcess.run(
                    [
                        "train", "--data", "c.txt", "--gemm", backend, "--history", "\(backend).csv",
                        "--checkpoint", "\(backend).safetensors",
                    ] + Self.lstm, in: dir)
                #expect(r.status == 0, "\(r)")
                let name = backend == "openblas" ? "OpenBLAS" : "oneDNN"
                #expect(r.stderr.contains("1 GEMM thread; \(name) GEMMs, \(KernelVariant.current.displayName) kernels"), "\(r.stderr)")
                let rows = try String(contentsOfFile: dir + "/\(backend).csv", encoding: .utf8).split(separator: "\n").dropFirst()
                losses.append(rows.map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[2])! })
            }
            #expect(losses[0].count == 20 && losses[1].count == 20)
            let worst = zip(losses[0], losses[1]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4, "largest loss difference between the backends: \(worst)")
            #expect(losses[0].last! < losses[0].first! - 0.1, "the loss falls: \(losses[0])")
        }
    }

    /// The environment variable chooses the backend when `--gemm` is absent.
    @Test func environmentChoosesTheBackend() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 5), to: "c.txt", in: dir)
            let r = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "2"] + tinyModel, in: dir,
                environment: ["SWIFT_RNN_GEMM": "openblas"])
            #expect(r.status == 0 && r.stderr.contains("OpenBLAS GEMMs"), "\(r)")
        }
    }

    @Test(arguments: [
        (["train", "--gemm", "mkl"], [String: String](), "--gemm"),
        (["train"], ["SWIFT_RNN_GEMM": "mkl"], "SWIFT_RNN_GEMM must be one of openblas, onednn, auto (got 'mkl'); unset it or pass --gemm"),
        (
            ["sample", "--checkpoint", "x.safetensors"], ["SWIFT_RNN_KERNELS": "sse9"],
            "SWIFT_RNN_KERNELS must be one of baseline, avx2, avx512 or unset"
        ),
    ])
    func badChoicesFailClearly(arguments: [String], environment: [String: String], message: String) throws {
        let r = try ToolProcess.run(arguments, environment: environment)
        #expect(r.status != 0 && !r.signaled, "\(r)")
        #expect(r.stderr.hasPrefix("error: ") && r.stderr.contains(message), "\(r.stderr)")
    }

    /// A variant the CPU lacks is refused rather than run (it would crash on an illegal
    /// instruction); where every variant is supported, forcing the smallest works.
    @Test func unsupportedKernelVariantIsRefused() throws {
        try withTemporaryDirectory { dir in
            try write(generatedText(words: 300, seed: 5), to: "c.txt", in: dir)
            if KernelVariant.bestSupported < .avx512 {
                let r = try ToolProcess.run(
                    ["train", "--data", "c.txt", "--steps", "2"] + tinyModel, in: dir,
                    environment: ["SWIFT_RNN_KERNELS": "avx512"])
                #expect(r.status == 1 && r.stderr.contains("asks for a variant this CPU cannot run"), "\(r)")
            }
            let r = try ToolProcess.run(
                ["train", "--data", "c.txt", "--steps", "2"] + tinyModel, in: dir,
                environment: ["SWIFT_RNN_KERNELS": "baseline"])
            #expect(r.status == 0 && r.stderr.contains("x86-64 baseline (SSE2) kernels"), "\(r)")
        }
    }
}
