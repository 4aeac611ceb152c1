import Foundation
import Linalg
import RNN
import RNNTraining

/// `bench --config bidir`: training a bidirectional sequence classifier, per cell and
/// thread count — `ManyToOneModel` over dense `inputSize`-wide inputs, `layers`
/// bidirectional layers of `hidden` units, both final states of the top layer into a
/// `classes`-way head, padded batches of `batch` sequences of `steps` steps (lengths from
/// `steps/2` to `steps`), Adam 2e-3, clipping at 5, the batch split across the threads
/// (`Trainer(workers:)`). What `scripts/pytorch_rnn_bench.py --bidir` times in PyTorch
/// (`nn.GRU`/`nn.LSTM(..., bidirectional=True)` + `nn.Linear` on `cat(h_n[-2], h_n[-1])`
/// over `pack_padded_sequence`), so `scripts/compare-pytorch.py --configs bidir` sets them
/// side by side.
///
/// tokens/s counts sequences × their padded steps per second (the PyTorch side's count);
/// GFLOP/s uses the model's own FLOP estimate (`ManyToOneModel.Configuration.trainingFlops`)
/// against the FMA peak of as many threads, measured in this process.
struct BidirectionalBench {
    /// Its `--config` name.
    static let name = "bidir"

    struct Result: Codable {
        var config = "bidir"
        var cell: String
        var inputSize: Int, hidden: Int, layers: Int, classes: Int, batch: Int, steps: Int
        var threads: Int
        var workers: Int
        var epochs: Int
        var batchesPerEpoch: Int
        var epochSeconds: [Double]
        var tokensPerSecond: Double
        var flopsPerToken: Double
        var gflops: Double
        var fmaPeak: Double
        var finalLoss: Double
        var cpu: String
        var gemm: String
        var precision: String
    }

    var cells: [RecurrentCell] = [.gru, .lstm]
    var threads: [Int] = [1]
    var inputSize = 64
    var hidden = 256
    var layers = 2
    var classes = 10
    var batch = 32
    var steps = 64
    var batchesPerEpoch = 8
    var epochs = 5
    var precision = Precision.fp32
    var seed: UInt64 = 0

    func run() throws -> [Result] {
        try threads.flatMap { n in
            let peak = ComputeThreads.singleThreaded { FMAPeak.measure(threads: n) }
            return try cells.map { try measure($0, threads: n, fmaPeak: peak) }
        }
    }

    /// Seeded padded batches: inputs uniform in [-1, 1], zero after each sequence's length,
    /// a random class each.
    func batches(_ rng: inout SeededRandom) -> BatchList<ManyToOneModel.Batch> {
        BatchList(
            (0..<batchesPerEpoch).map { _ in
                let lengths = (0..<batch).map { _ in steps / 2 + rng.index(below: steps - steps / 2 + 1) }
                var x = Matrix(rows: steps * batch, cols: inputSize)
                for r in 0..<(steps * batch) where r / batch < lengths[r % batch] {
                    for i in 0..<inputSize { x.storage[r * inputSize + i] = rng.uniform(-1, 1) }
                }
                let labels = (0..<batch).map { _ in Int32(rng.index(below: classes)) }
                return ManyToOneModel.Batch(input: .dense(x), labels: labels, batchSize: batch, lengths: lengths)
            })
    }

    private func measure(_ cell: RecurrentCell, threads n: Int, fmaPeak: Double) throws -> Result {
        var rng = SeededRandom(seed: seed)
        let configuration = ManyToOneModel.Configuration(
            inputSize: inputSize, outputSize: classes,
            recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers, bidirectional: true))
        let model = ManyToOneModel(configuration, using: &rng)
        try model.setPrecision(precision)
        let data = batches(&rng)
        let workers = BatchSplit.recommendedWorkers(threads: n, configuration: configuration, batchSize: batch, steps: steps)
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 2e-3), workers: workers, clipNorm: 5)
        ComputeThreads.count = workers > 1 ? 1 : n
        if workers > 1 { Thread.sleep(forTimeInterval: EpochTimer.openBLASSettleSeconds) }
        ComputeThreads.warmUp()
        try trainer.step(data.batches[0])  // first touch of every workspace and moment
        trainer.position = TrainingPosition()
        let clock = ContinuousClock()
        var seconds: [Double] = [], loss = 0.0
        for e in 1...epochs {
            var sum = 0.0
            let elapsed = clock.measure {
                do {
                    try trainer.train(on: data, for: .epochs(e)) { event in
                        if case .step(let r) = event { sum += r.loss }
                    }
                } catch {
                    Log.error("bidir/\(cell): \(error)")
                }
            }
            seconds.append(elapsed.seconds)
            loss = sum / Double(batchesPerEpoch)
            Log.error(
                "bidir/\(cell) \(n) thread\(n == 1 ? "" : "s"): epoch \(e) \(String(format: "%.3f", elapsed.seconds)) s, loss \(String(format: "%.4f", loss))"
            )
        }
        let tokens = Double(batchesPerEpoch * batch * steps)
        let tokensPerSecond = tokens / seconds.median
        let flopsPerToken = configuration.trainingFlops(batchSize: batch, steps: steps) / Double(batch * steps)
        return Result(
            cell: cell.rawValue, inputSize: inputSize, hidden: hidden, layers: layers, classes: classes, batch: batch,
            steps: steps, threads: n, workers: workers, epochs: epochs, batchesPerEpoch: batchesPerEpoch,
            epochSeconds: seconds, tokensPerSecond: tokensPerSecond, flopsPerToken: flopsPerToken,
            gflops: flopsPerToken * tokensPerSecond / 1e9, fmaPeak: fmaPeak, finalLoss: loss,
            cpu: Machine.cpuModel, gemm: GEMM.backend.rawValue, precision: precision.rawValue)
    }

    static func report(_ results: [Result]) -> String {
        let rows = results.map { r in
            [
                "bidir/\(r.cell)", "\(r.threads)", "\(r.workers)", Report.grouped(r.tokensPerSecond),
                String(format: "%.1f", r.gflops), String(format: "%.0f%%", 100 * r.gflops / max(r.fmaPeak, 1e-9)),
                String(format: "%.1f", r.fmaPeak), String(format: "%.4f", r.finalLoss),
            ]
        }
        let first = results.first
        let shape =
            first.map {
                "I \($0.inputSize), \($0.layers) bidirectional layers x H \($0.hidden), \($0.classes) classes, B \($0.batch), T \($0.steps) (padded; lengths T/2...T)"
            } ?? ""
        return
            "Bidirectional classifier: \(shape)\(first?.precision == "bf16" ? "; GEMMs in bf16 (% FMA against the fp32 FMA peak)" : "")\n"
            + Report.table(["config", "threads", "workers", "tokens/s", "GFLOP/s", "% FMA", "FMA peak", "loss"], rows)
    }
}
