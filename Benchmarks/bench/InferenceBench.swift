import Foundation
import Linalg
import RNN
import RNNTraining

/// `bench --inference`: the inference path of a character model, per cell and thread
/// count (more than one: the model's stack gets a `WorkerTeam`, which splits one sequence's
/// steps by hidden units and a batch by sequences; every GEMM is single-threaded):
///
/// - **eval**: `meanLoss` over a synthetic text of `evalTokens` as one stream (chunks of
///   256 steps, the state carried): what `charrnn eval` runs;
/// - **1 sample**: a `Sampler` drawing `sampleSteps` tokens at temperature 1;
/// - **32 samples**: a `Sampler` of 32 sequences side by side, in total tokens/s;
/// - **bound**: the weights one step of one sequence reads (each layer's `W_hhᵀ`, the upper
///   layers' `W_ih`, the output layer's weight), each thread its share, over the bandwidth
///   measured by each thread reading a buffer of that share's size again and again, all
///   at once (the weights stay in cache between steps): a step cannot take less time than
///   reading its weights once;
/// - **batch bound**: the FMA peak of that many threads (measured in-process) over one
///   token's FLOPs (`2·(G·H²·(2L−1) + H·V)`): a batch shares the weights' reads, so its
///   tokens cost their arithmetic, and it cannot beat the FMA units.
///
/// In `bf16` (`--precision bf16`) every product is bf16: the weights read are 2 bytes each,
/// the batch bound is the bf16 dot-product peak, and the eval's loss is reported beside the
/// same model's fp32 loss.
struct InferenceBench {
    struct Result: Codable {
        var cell: String
        var vocab: Int, hidden: Int, layers: Int
        var threads: Int
        var evalTokensPerSecond: Double
        var singleTokensPerSecond: Double
        var batchTokensPerSecond: Double
        var batchSize: Int
        var weightBytesPerStep: Double
        /// Bytes per second each thread reads of a buffer of its share of the weights.
        var bandwidthBytesPerSecond: Double
        /// `threads · bandwidth / weightBytesPerStep`: the fastest single sample the bandwidth allows.
        var boundTokensPerSecond: Double
        /// FLOPs of one token of one sequence, and the FMA peak of `threads` threads (GFLOP/s).
        var flopsPerToken: Double
        var fmaPeak: Double
        /// `fmaPeak / flopsPerToken`: the fastest a batch can generate.
        var batchBoundTokensPerSecond: Double
        var cpu: String
        var gemm: String
        var precision: String
        /// The eval's mean loss, and in bf16 the same model's fp32 loss on the same text.
        var evalLoss: Double
        var fp32EvalLoss: Double?
    }

    var cells: [RecurrentCell]
    var threads: [Int] = [1]
    var vocab = 76
    var hidden = 256
    var layers = 2
    var seed: UInt64 = 0
    var evalTokens = 100_000
    var sampleSteps = 20_000
    var batchSize = 32
    var precision = Precision.fp32

    /// - Throws: `PrecisionError` where the CPU cannot run `precision`.
    func run() throws -> [Result] {
        return try ComputeThreads.singleThreaded {
            try threads.flatMap { n in
                let peak = precision == .bf16 ? FMAPeak.measureBF16(threads: n) : FMAPeak.measure(threads: n)
                return try cells.map { try measure($0, threads: n, fmaPeak: peak) }
            }
        }
    }

    private func measure(_ cell: RecurrentCell, threads: Int, fmaPeak: Double) throws -> Result {
        var rng = SeededRandom(seed: seed)
        let model = ManyToManyModel(
            .init(
                inputSize: vocab, outputSize: vocab,
                recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers)), using: &rng)
        if threads > 1 { model.team = WorkerTeam(size: threads) }
        let text = (0..<evalTokens).map { _ in UInt8(rng.index(below: vocab)) }
        let streams = TokenStreams(tokens: TokenSequence(.uint8(text)), batchSize: 1, seqLength: 256, partialChunks: true)!
        try model.setPrecision(.fp32)
        let fp32Loss = precision == .bf16 ? model.meanLoss(over: streams).loss : nil
        try model.setPrecision(precision)
        let evalLoss = model.meanLoss(over: streams).loss  // and a warm-up: the prepared weights, the buffers
        let evalSeconds = Self.median(3) { _ = model.meanLoss(over: streams) }

        let single = Sampler(model: model)
        single.prime([0])
        for _ in 0..<200 { _ = single.next(temperature: 1, using: &rng) }
        let singleSeconds = Self.median(3) { for _ in 0..<sampleSteps { _ = single.next(temperature: 1, using: &rng) } }

        let batch = Sampler(model: model, batchSize: batchSize)
        batch.prime([0])
        var rngs = (0..<batchSize).map { SeededRandom(seed: seed &+ UInt64($0)) }
        var tokens = [Int32](repeating: 0, count: batchSize)
        let batchSteps = max(sampleSteps / batchSize * 4, 100)
        let batchSeconds = Self.median(3) {
            for _ in 0..<batchSteps { batch.next(temperature: 1, using: &rngs, into: &tokens) }
        }

        let G = cell.gateCount
        let weightCount = Double(layers * G * hidden * hidden + (layers - 1) * G * hidden * hidden + hidden * vocab)
        let weights = weightCount * (precision == .bf16 ? 2 : 4)
        let bandwidth = ReadBandwidth.measure(bytes: Int(weights) / threads, threads: threads)
        let flops = weightCount * 2  // a multiply-add (2 FLOPs) per weight
        return Result(
            cell: cell.rawValue, vocab: vocab, hidden: hidden, layers: layers, threads: threads,
            evalTokensPerSecond: Double(streams.predictionCount) / evalSeconds,
            singleTokensPerSecond: Double(sampleSteps) / singleSeconds,
            batchTokensPerSecond: Double(batchSteps * batchSize) / batchSeconds, batchSize: batchSize,
            weightBytesPerStep: weights, bandwidthBytesPerSecond: bandwidth,
            boundTokensPerSecond: Double(threads) * bandwidth / weights, flopsPerToken: flops, fmaPeak: fmaPeak,
            batchBoundTokensPerSecond: fmaPeak * 1e9 / flops, cpu: Machine.cpuModel, gemm: GEMM.backend.displayName,
            precision: precision.rawValue, evalLoss: evalLoss, fp32EvalLoss: fp32Loss)
    }

    /// The median of `n` timings of `body`, in seconds.
    static func median(_ n: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<n {
            let start = clock.now
            body()
            times.append((clock.now - start).seconds)
        }
        return times.median
    }

    static func report(_ results: [Result]) -> String {
        var lines = [
            "bench --inference · \(BuildConfiguration.name) build · \(Machine.cpuModel) · GEMM \(GEMM.backend.displayName) (single-threaded; more threads: a WorkerTeam) · \(Report.precisionAndISA(results.first?.precision))"
        ]
        if let r = results.first {
            lines.append(
                "model: V \(r.vocab), H \(r.hidden), L \(r.layers); bound: one step's weights (\(r.precision == "bf16" ? 2 : 4) bytes each), each thread its share, over the bandwidth of each thread reading that many bytes in a loop; batch bound: the \(r.precision == "bf16" ? "bf16 dot-product" : "FMA") peak of the threads over a token's FLOPs"
            )
        }
        let rows = results.map { r in
            [
                r.cell, "\(r.threads)", Report.grouped(r.evalTokensPerSecond), Report.grouped(r.singleTokensPerSecond),
                Report.grouped(r.batchTokensPerSecond), Report.fixed(r.batchTokensPerSecond / r.singleTokensPerSecond, 1) + "x",
                Report.grouped(r.weightBytesPerStep / 1024) + " KiB", Report.fixed(r.bandwidthBytesPerSecond / 1e9, 1),
                Report.grouped(r.boundTokensPerSecond), Report.fixed(r.singleTokensPerSecond / r.boundTokensPerSecond * 100, 0) + "%",
                Report.fixed(r.fmaPeak, 0), Report.grouped(r.batchBoundTokensPerSecond),
                Report.fixed(r.batchTokensPerSecond / r.batchBoundTokensPerSecond * 100, 0) + "%",
                Report.fixed(r.evalLoss, 4) + (r.fp32EvalLoss.map { " (" + String(format: "%+.4f", r.evalLoss - $0) + ")" } ?? ""),
            ]
        }
        lines.append(
            Report.table(
                [
                    "cell", "threads", "eval tok/s", "1 sample tok/s", "\(results.first?.batchSize ?? 32) samples tok/s",
                    "batch/1", "weights/step", "GB/s/thread", "bound tok/s", "1 sample/bound",
                    results.first?.precision == "bf16" ? "bf16 GFLOP/s" : "FMA GFLOP/s", "batch bound tok/s", "batch/bound",
                    results.first?.precision == "bf16" ? "eval loss (- fp32)" : "eval loss",
                ], rows))
        return lines.joined(separator: "\n")
    }
}
