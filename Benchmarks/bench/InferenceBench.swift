import Foundation
import Linalg
import RNN
import RNNTraining

/// `bench --inference`: the inference path of a character model, per cell, on one thread
/// (single-sequence inference is a chain of small products that a second thread only slows):
///
/// - **eval**: `meanLoss` over a synthetic text of `evalTokens` as one stream (chunks of
///   256 steps, the state carried): what `charrnn eval` runs;
/// - **1 sample**: a `Sampler` drawing `sampleSteps` tokens at temperature 1;
/// - **32 samples**: a `Sampler` of 32 sequences side by side, in total tokens/s;
/// - **bound**: the weights one step of one sequence reads (each layer's `W_hhᵀ`, the upper
///   layers' `W_ih`, the output layer's weight), over the bandwidth measured by reading a
///   buffer of that size again and again (the weights stay in cache between steps): a
///   step cannot take less time than reading its weights once;
/// - **batch bound**: the one-thread FMA peak (measured in-process) over one token's FLOPs
///   (`2·(G·H²·(2L−1) + H·V)`): a batch shares the weights' reads, so its tokens cost their
///   arithmetic, and it cannot beat the FMA units.
/// Where `readBandwidth` leaves its sum, so that the compiler keeps the reads.
nonisolated(unsafe) private var blackHole: Float = 0

struct InferenceBench {
    struct Result: Codable {
        var cell: String
        var vocab: Int, hidden: Int, layers: Int
        var evalTokensPerSecond: Double
        var singleTokensPerSecond: Double
        var batchTokensPerSecond: Double
        var batchSize: Int
        var weightBytesPerStep: Double
        var bandwidthBytesPerSecond: Double
        /// `bandwidth / weightBytesPerStep`: the fastest single sample the bandwidth allows.
        var boundTokensPerSecond: Double
        /// FLOPs of one token of one sequence, and the one-thread FMA peak (GFLOP/s).
        var flopsPerToken: Double
        var fmaPeak: Double
        /// `fmaPeak / flopsPerToken`: the fastest a batch can generate.
        var batchBoundTokensPerSecond: Double
        var cpu: String
        var gemm: String
    }

    var cells: [RecurrentCell]
    var vocab = 76
    var hidden = 256
    var layers = 2
    var seed: UInt64 = 0
    var evalTokens = 100_000
    var sampleSteps = 20_000
    var batchSize = 32

    func run() -> [Result] {
        ComputeThreads.singleThreaded {
            let peak = FMAPeak.measure(threads: 1)
            return cells.map { measure($0, fmaPeak: peak) }
        }
    }

    private func measure(_ cell: RecurrentCell, fmaPeak: Double) -> Result {
        var rng = SeededRandom(seed: seed)
        let model = ManyToManyModel(.init(inputSize: vocab, outputSize: vocab,
                                          recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers)), using: &rng)
        let text = (0..<evalTokens).map { _ in UInt8(rng.index(below: vocab)) }
        let streams = TokenStreams(tokens: TokenSequence(.uint8(text)), batchSize: 1, seqLength: 256, partialChunks: true)!
        _ = model.meanLoss(over: streams)   // warm-up: the prepared weights, the buffers
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
        let weights = Double(layers * G * hidden * hidden + (layers - 1) * G * hidden * hidden + hidden * vocab) * 4
        let bandwidth = Self.readBandwidth(bytes: Int(weights))
        let flops = weights / 2   // a multiply-add (2 FLOPs) per weight read (4 bytes)
        return Result(cell: cell.rawValue, vocab: vocab, hidden: hidden, layers: layers,
                      evalTokensPerSecond: Double(streams.predictionCount) / evalSeconds,
                      singleTokensPerSecond: Double(sampleSteps) / singleSeconds,
                      batchTokensPerSecond: Double(batchSteps * batchSize) / batchSeconds, batchSize: batchSize,
                      weightBytesPerStep: weights, bandwidthBytesPerSecond: bandwidth,
                      boundTokensPerSecond: bandwidth / weights, flopsPerToken: flops, fmaPeak: fmaPeak,
                      batchBoundTokensPerSecond: fmaPeak * 1e9 / flops, cpu: Machine.cpuModel, gemm: GEMM.backend.displayName)
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

    /// Bytes per second of reading a buffer of `bytes` again and again (a BLAS dot product
    /// of the buffer with itself: one vectorized read of each element), the best of 5.
    static func readBandwidth(bytes: Int) -> Double {
        let count = max(bytes / 4, 1024)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = Float(i % 7) * 1e-3 }
        let passes = max(1, 200_000_000 / (count * 4))
        var sink: Float = 0
        defer { blackHole = sink }   // keeps the reads
        var best = Double.infinity
        let clock = ContinuousClock()
        for _ in 0..<5 {
            let start = clock.now
            for _ in 0..<passes { sink += BLAS.dot(count: count, buffer, buffer) }
            best = min(best, (clock.now - start).seconds)
        }
        return Double(passes * count * 4) / best
    }

    static func report(_ results: [Result]) -> String {
        var lines = ["bench --inference · \(BuildConfiguration.name) build · \(Machine.cpuModel) · 1 thread · GEMM \(GEMM.backend.displayName)"]
        if let r = results.first {
            lines.append("model: V \(r.vocab), H \(r.hidden), L \(r.layers); bound: one step's weights over the bandwidth of reading that many bytes in a loop; batch bound: the FMA peak \(Report.fixed(r.fmaPeak, 1)) GFLOP/s over a token's FLOPs")
        }
        let rows = results.map { r in
            [r.cell, Report.grouped(r.evalTokensPerSecond), Report.grouped(r.singleTokensPerSecond),
             Report.grouped(r.batchTokensPerSecond), Report.fixed(r.batchTokensPerSecond / r.singleTokensPerSecond, 1) + "x",
             Report.grouped(r.weightBytesPerStep / 1024) + " KiB", Report.fixed(r.bandwidthBytesPerSecond / 1e9, 1),
             Report.grouped(r.boundTokensPerSecond), Report.fixed(r.singleTokensPerSecond / r.boundTokensPerSecond * 100, 0) + "%",
             Report.grouped(r.batchBoundTokensPerSecond), Report.fixed(r.batchTokensPerSecond / r.batchBoundTokensPerSecond * 100, 0) + "%"]
        }
        lines.append(Report.table(["cell", "eval tok/s", "1 sample tok/s", "\(results.first?.batchSize ?? 32) samples tok/s",
                                   "batch/1", "weights/step", "GB/s", "bound tok/s", "1 sample/bound",
                                   "batch bound tok/s", "batch/bound"], rows))
        return lines.joined(separator: "\n")
    }
}
