import Foundation
import Linalg
import RNN
import RNNTraining

/// `bench --config seq2seq`: an encoder-decoder with Luong `general` attention, per cell and
/// thread count — training under teacher forcing (target tokens/s) and batched beam search
/// (sources/s). What `scripts/pytorch_seq2seq_bench.py` times in PyTorch, so that
/// `scripts/compare-pytorch.py --configs seq2seq` sets them side by side.
///
/// The shape is the date task's (`scripts/make_date_pairs.py`): one-hot sources of `Vs`
/// tokens, padded to `Ts` with lengths from `Ts/2` to `Ts`; targets of `Tt` tokens (the
/// last the end token) over `Vt`; `layers` layers of `hidden` units in each stack. Training:
/// Adam 1e-3, clipping at 5, the batch split across the threads (`Trainer(workers:)`).
/// Decoding: `decodeSequences` sources by beam `beam` (GNMT α 0.6), `batch` sources per
/// batch, one replica per thread (`ParallelDecoder`); the end token's bias is pushed far
/// down so that every hypothesis runs exactly `maxLength` steps (the PyTorch side's
/// `--ignore-end`): the work is fixed by the shape, not by untrained weights.
struct Seq2SeqBench {
    static let name = "seq2seq"

    struct Result: Codable {
        var config = "seq2seq"
        var cell: String
        var hidden: Int, layers: Int, batch: Int, sourceLength: Int, targetLength: Int, sourceVocab: Int, targetVocab: Int
        var threads: Int
        var workers: Int
        var trainTokensPerSecond: Double
        var trainSecondsPerStep: Double
        var gflops: Double
        var fmaPeak: Double
        var beam: Int
        var maxLength: Int
        var decodeSequences: Int
        var decodeSequencesPerSecond: Double
        var cpu: String
        var gemm: String
        var precision: String
    }

    var cells: [RecurrentCell] = [.gru, .lstm]
    var threads: [Int] = [1]
    var hidden = 256
    var layers = 1
    var batch = 64
    var sourceLength = 30
    var targetLength = 12
    var sourceVocab = 40
    var targetVocab = 14
    var steps = 20
    var repeats = 3
    var beam = 5
    var maxLength = 12
    var decodeSequences = 512
    var seed: UInt64 = 0
    /// The products' arithmetic, in training and decoding.
    var precision = Precision.fp32

    func run() throws -> [Result] {
        try threads.flatMap { n in
            let peak = ComputeThreads.singleThreaded { FMAPeak.measure(threads: n) }
            return try cells.map { try measure($0, threads: n, fmaPeak: peak) }
        }
    }

    /// The model of `cell`: general attention, the start and end tokens last.
    func configuration(_ cell: RecurrentCell) -> EncoderDecoderModel.Configuration {
        EncoderDecoderModel.Configuration(
            sourceVocabularySize: sourceVocab, targetVocabularySize: targetVocab, startToken: Int32(targetVocab - 2),
            endToken: Int32(targetVocab - 1), recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers),
            attention: .general)
    }

    /// Four seeded batches: random sources of lengths `Ts/2...Ts`, targets of `Tt - 1`
    /// random tokens below the start token and the end token.
    func batches(_ rng: inout SeededRandom) -> BatchList<EncoderDecoderModel.Batch> {
        let lengths = (0..<batch).map { _ in sourceLength / 2 + rng.index(below: sourceLength - sourceLength / 2 + 1) }
        return BatchList(
            (0..<4).map { _ in
                let source = (0..<(sourceLength * batch)).map { r in
                    r / batch < lengths[r % batch] ? Int32(rng.index(below: sourceVocab)) : -1
                }
                let targets = (0..<(targetLength * batch)).map { r in
                    r / batch == targetLength - 1 ? Int32(targetVocab - 1) : Int32(rng.index(below: targetVocab - 2))
                }
                return EncoderDecoderModel.Batch(source: source, sourceLengths: lengths, targets: targets, batchSize: batch)
            })
    }

    private func measure(_ cell: RecurrentCell, threads n: Int, fmaPeak: Double) throws -> Result {
        var rng = SeededRandom(seed: seed)
        let configuration = self.configuration(cell)
        let model = EncoderDecoderModel(configuration, using: &rng)
        try model.setPrecision(precision)
        let data = batches(&rng)
        let workers = BatchSplit.recommendedWorkers(
            threads: n, configuration: configuration, batchSize: batch, steps: max(sourceLength, targetLength))
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 1e-3), workers: workers, clipNorm: 5)
        ComputeThreads.count = workers > 1 ? 1 : n
        if workers > 1 { Thread.sleep(forTimeInterval: EpochTimer.openBLASSettleSeconds) }
        ComputeThreads.warmUp()
        for i in 0..<3 { try trainer.step(data.batches[i % 4]) }
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<repeats {
            let seconds = try clock.measure { for i in 0..<steps { try trainer.step(data.batches[i % 4]) } }.seconds
            best = min(best, seconds)
        }
        let tokensPerSecond = Double(batch * targetLength * steps) / best
        let flops = configuration.trainingFlops(batchSize: batch, steps: (sourceLength * 3 / 4 + targetLength) / 2)
        Log.error(
            "seq2seq/\(cell) \(n) thread\(n == 1 ? "" : "s"): training \(Report.grouped(tokensPerSecond)) target tokens/s (\(workers) worker\(workers == 1 ? "" : "s"))"
        )

        // Decoding: the end token never wins, so every source takes maxLength steps.
        let endBias = model.parameters.slot(named: "fc.bias")!.offset + targetVocab - 1
        model.parameters.values[endBias] = -1e4
        let sources = (0..<decodeSequences).map { _ in
            (0..<(sourceLength / 2 + rng.index(below: sourceLength - sourceLength / 2 + 1))).map { _ in
                Int32(rng.index(below: sourceVocab))
            }
        }
        ComputeThreads.count = n
        let decoder = ParallelDecoder(model, threads: n)
        let search = BeamSearch(width: beam, lengthPenalty: 0.6, maxLengthRatio: 0, maxLengthExtra: maxLength)
        _ = decoder.decode(Array(sources.prefix(batch * n)), search, batchSize: batch)
        var decodeBest = Double.infinity
        for _ in 0..<repeats {
            decodeBest = min(decodeBest, clock.measure { _ = decoder.decode(sources, search, batchSize: batch) }.seconds)
        }
        let perSecond = Double(decodeSequences) / decodeBest
        Log.error("seq2seq/\(cell) \(n) thread\(n == 1 ? "" : "s"): beam \(beam) decoding \(Report.grouped(perSecond)) sources/s")
        return Result(
            cell: cell.rawValue, hidden: hidden, layers: layers, batch: batch, sourceLength: sourceLength,
            targetLength: targetLength, sourceVocab: sourceVocab, targetVocab: targetVocab, threads: n, workers: workers,
            trainTokensPerSecond: tokensPerSecond, trainSecondsPerStep: best / Double(steps),
            gflops: flops * Double(steps) / best / 1e9, fmaPeak: fmaPeak, beam: beam, maxLength: maxLength,
            decodeSequences: decodeSequences, decodeSequencesPerSecond: perSecond, cpu: Machine.cpuModel,
            gemm: GEMM.backend.rawValue, precision: precision.rawValue)
    }

    static func report(_ results: [Result]) -> String {
        let rows = results.map { r in
            [
                "seq2seq/\(r.cell)", "\(r.threads)", "\(r.workers)", Report.grouped(r.trainTokensPerSecond),
                String(format: "%.1f", r.gflops), String(format: "%.0f%%", 100 * r.gflops / max(r.fmaPeak, 1e-9)),
                Report.grouped(r.decodeSequencesPerSecond),
            ]
        }
        let shape =
            results.first.map {
                "Encoder-decoder, general attention: H \($0.hidden) x \($0.layers) layer(s) each side, B \($0.batch), Ts \($0.sourceLength) (lengths Ts/2...Ts), Tt \($0.targetLength), Vs \($0.sourceVocab), Vt \($0.targetVocab); beam \($0.beam) over \($0.decodeSequences) sources, \($0.maxLength) steps each\($0.precision == "bf16" ? "; GEMMs in bf16 (% FMA against the fp32 FMA peak)" : "")"
            } ?? ""
        return shape + "\n"
            + Report.table(["config", "threads", "workers", "train tokens/s", "GFLOP/s", "% FMA", "beam sources/s"], rows)
    }
}
