import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

struct DataParallelModelTests {
    /// A seeded batch: tokens and targets `[T*B]` with some targets `-1` (not counted),
    /// spread unevenly so that the workers' slices count different numbers of rows.
    static func batch(V: Int, B: Int, T: Int, using rng: inout SeededRandom) -> (inputs: [Int32], targets: [Int32]) {
        let inputs = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let targets = (0..<(T * B)).map { r -> Int32 in
            // Sequence 0 (worker 0's slice) loses most of its targets.
            (r % B == 0 && r / B > 1) || rng.uniform(0, 1) < 0.1 ? -1 : Int32(rng.index(below: V))
        }
        return (inputs, targets)
    }

    /// The largest absolute difference between two equally long arrays.
    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// Runs the batch on `parallel.model` itself, then through `parallel` (with the
    /// gradients first set to 7: they must be overwritten, not added to), and expects the
    /// same loss, gradients and final state.
    static func expectSplitEqualsWholeBatch(
        _ parallel: DataParallelModel<ManyToManyModel>, _ input: SequenceInput, targets: [Int32],
        batchSize B: Int, initialState: [Float]? = nil, _ context: String
    ) {
        let model = parallel.model
        let loss = model.computeGradients(input, targets: targets, batchSize: B, initialState: initialState)
        let gradients = model.parameters.gradients.array, finalState = model.rnn.finalState()
        model.parameters.gradients.assign(gradients.map { _ in 7 })
        let parallelLoss = parallel.computeGradients(input, targets: targets, batchSize: B, initialState: initialState)
        #expect(abs(parallelLoss - loss) < 1e-6 * abs(loss), "\(context): loss \(parallelLoss) vs \(loss)")
        let worst = maxDifference(model.parameters.gradients.array, gradients), scale = gradients.map(abs).max()!
        #expect(worst < 1e-5 * scale, "\(context): gradient differs by \(worst) (largest \(scale))")
        #expect(maxDifference(parallel.finalState(), finalState) < 1e-6, "\(context): final state")
    }

    /// Split across 2 or 3 workers (B = 5: uneven slices), loss, gradients and the final
    /// state equal the whole batch run by the model itself, for every cell, two layers,
    /// with and without an initial state.
    @Test(.precision(.fp32), arguments: [RecurrentCell.rnn, .gru, .lstm], [2, 3])
    func equalsTheWholeBatch(cell: RecurrentCell, workers: Int) {
        var rng = SeededRandom(seed: 91)
        let (V, H, B, T) = (7, 9, 5, 6)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2, cell: cell, using: &rng)
        let parallel = DataParallelModel(model, workers: workers)
        let (inputs, targets) = Self.batch(V: V, B: B, T: T, using: &rng)
        let state = (0..<model.rnn.stateSize(batchSize: B)).map { _ in rng.uniform(-0.5, 0.5) }
        for initialState in [nil, state] {
            Self.expectSplitEqualsWholeBatch(
                parallel, .tokens(inputs), targets: targets, batchSize: B,
                initialState: initialState,
                "\(cell), \(workers) workers, initial state \(initialState != nil)")
        }
    }

    /// The split step's gradients are exactly `Σ_w (n_w / n) · g_w` summed as one serial
    /// sum would (zeros, then each worker's weighted gradients in order): each slice run
    /// alone on the model gives `g_w`, and the team's ranks, each summing its share of the
    /// parameters, give the same bits. Three workers over 7 sequences, a model of more
    /// parameters than the shares' granule.
    @Test(.precision(.fp32)) func theSplitSumIsTheSerialSumBitForBit() {
        var rng = SeededRandom(seed: 95)
        let (V, H, B, T, workers) = (7, 12, 7, 5, 3)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2, cell: .lstm, using: &rng)
        let (inputs, targets) = Self.batch(V: V, B: B, T: T, using: &rng)
        let slices = (0..<workers).map { w in (w * B / workers)..<((w + 1) * B / workers) }
        var parts: [(count: Int, gradients: [Float])] = []
        for slice in slices {
            let rows = (0..<T).flatMap { t in slice.map { t * B + $0 } }
            let sliceTargets = rows.map { targets[$0] }
            model.computeGradients(.tokens(rows.map { inputs[$0] }), targets: sliceTargets, batchSize: slice.count)
            parts.append((sliceTargets.filter { $0 >= 0 }.count, model.parameters.gradients.array))
        }
        let total = parts.reduce(0) { $0 + $1.count }
        var expected = [Float](repeating: 0, count: model.parameters.count)
        for part in parts where part.count > 0 {
            BLAS.axpy(count: expected.count, alpha: Float(Double(part.count) / Double(total)), x: part.gradients, y: &expected)
        }
        DataParallelModel(model, workers: workers).computeGradients(.tokens(inputs), targets: targets, batchSize: B)
        let differing = zip(model.parameters.gradients.array, expected).count { $0 != $1 }
        #expect(model.parameters.count > 64 * workers && differing == 0, "\(differing) of \(expected.count) differ")
    }

    /// One parallel model through changing shapes: batch sizes 5, 2, 1, 5 with 4 workers
    /// (slices recomputed, fewer active workers, the single-worker path after split
    /// steps) and shorter chunks, each equal to the model run on the whole batch.
    @Test(.precision(.fp32)) func changingBatchSizesAndLengths() {
        var rng = SeededRandom(seed: 97)
        let (V, H) = (6, 8)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2, cell: .lstm, using: &rng)
        let parallel = DataParallelModel(model, workers: 4)
        for (B, T) in [(5, 6), (2, 3), (1, 4), (5, 2), (4, 5)] {
            let (inputs, targets) = Self.batch(V: V, B: B, T: T, using: &rng)
            let state = (0..<model.rnn.stateSize(batchSize: B)).map { _ in rng.uniform(-0.5, 0.5) }
            Self.expectSplitEqualsWholeBatch(
                parallel, .tokens(inputs), targets: targets, batchSize: B,
                initialState: state, "B \(B), T \(T)")
        }
    }

    /// With an embedding and dropout the split draws the whole batch's masks (each slice
    /// knows its first sequence), so loss and gradients still equal the whole batch's.
    @Test(.precision(.fp32), arguments: [RecurrentCell.gru, .lstm])
    func dropoutMasksFollowTheWholeBatch(cell: RecurrentCell) {
        var rng = SeededRandom(seed: 94)
        let (V, H, B, T) = (7, 8, 5, 6)
        let model = ManyToManyModel(
            .init(
                inputSize: V, outputSize: V, recurrent: .init(cell: cell, hiddenSize: H, numLayers: 2),
                embeddingSize: H, tiedWeights: true, dropout: 0.4, dropoutSeed: 5), using: &rng)
        let parallel = DataParallelModel(model, workers: 2)
        let (inputs, targets) = Self.batch(V: V, B: B, T: T, using: &rng)
        model.trainingStep = 4
        let loss = model.computeGradients(.tokens(inputs), targets: targets, batchSize: B)
        let gradients = model.parameters.gradients.array
        model.trainingStep = 4
        let parallelLoss = parallel.computeGradients(.tokens(inputs), targets: targets, batchSize: B)
        #expect(model.trainingStep == 5)
        #expect(abs(parallelLoss - loss) < 1e-6 * abs(loss), "loss \(parallelLoss) vs \(loss)")
        let worst = Self.maxDifference(model.parameters.gradients.array, gradients), scale = gradients.map(abs).max()!
        #expect(worst < 1e-5 * scale, "gradient differs by \(worst) (largest \(scale))")
        // The next step draws other masks: another loss from the same weights.
        #expect(parallel.computeGradients(.tokens(inputs), targets: targets, batchSize: B) != parallelLoss)
    }

    /// Dense input splits the same way.
    @Test func denseInputEqualsTheWholeBatch() {
        var rng = SeededRandom(seed: 92)
        let (I, H, O, B, T) = (4, 6, 3, 4, 5)
        let model = ManyToManyModel(inputSize: I, hiddenSize: H, outputSize: O, using: &rng)
        let x = Matrix(rows: T * B, cols: I, storage: (0..<(T * B * I)).map { _ in rng.uniform(-1, 1) })
        let targets = (0..<(T * B)).map { _ in Int32(rng.index(below: O)) }
        Self.expectSplitEqualsWholeBatch(
            DataParallelModel(model, workers: 2), .dense(x), targets: targets, batchSize: B,
            "dense input")
    }

    /// More workers than sequences: each sequence gets one worker, and the rest idle.
    @Test(.precision(.fp32)) func moreWorkersThanSequences() {
        var rng = SeededRandom(seed: 93)
        let model = ManyToManyModel(inputSize: 5, hiddenSize: 4, outputSize: 5, using: &rng)
        let (inputs, targets) = Self.batch(V: 5, B: 2, T: 3, using: &rng)
        Self.expectSplitEqualsWholeBatch(
            DataParallelModel(model, workers: 4), .tokens(inputs), targets: targets,
            batchSize: 2, "4 workers, 2 sequences")
    }

    /// Training with truncated BPTT through the parallel model follows the serial run
    /// (same seed, 30 Adam steps over carried chunks).
    @Test func trainingFollowsTheSerialRun() {
        let (V, B, T) = (6, 6, 8)
        func train(parallel: Bool) -> (losses: [Double], values: [Float]) {
            var rng = SeededRandom(seed: 94)
            let model = ManyToManyModel(inputSize: V, hiddenSize: 16, outputSize: V, cell: .gru, using: &rng)
            let wrapper = DataParallelModel(model, workers: 2)
            let optimizer = Adam(learningRate: 0.01)
            var state: [Float] = []
            var losses: [Double] = []
            for chunk in 0..<30 {
                var inputs = [Int32](repeating: 0, count: T * B), targets = inputs
                for t in 0..<T {
                    for b in 0..<B {
                        let pos = chunk * T + t + 2 * b
                        inputs[t * B + b] = Int32(pos % V)
                        targets[t * B + b] = Int32((pos + 1) % V)
                    }
                }
                let initial = chunk == 0 ? nil : state
                losses.append(
                    parallel
                        ? wrapper.computeGradients(.tokens(inputs), targets: targets, batchSize: B, initialState: initial)
                        : model.computeGradients(.tokens(inputs), targets: targets, batchSize: B, initialState: initial))
                GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
                optimizer.step(model.parameters)
                if parallel { wrapper.finalState(into: &state) } else { model.rnn.finalState(into: &state) }
            }
            return (losses, model.parameters.values.array)
        }
        let serial = train(parallel: false), split = train(parallel: true)
        #expect(serial.losses.last! < 0.5 * serial.losses.first!, "the task is learnable: \(serial.losses)")
        for (a, b) in zip(serial.losses, split.losses) { #expect(abs(a - b) < 1e-3 * a) }
        #expect(Self.maxDifference(serial.values, split.values) < 1e-3)
    }

    /// Each split model starts helper threads; freeing the model stops them. 40 models,
    /// each trained one split step and dropped, leave far fewer than 40 extra threads
    /// (other tests may be running their own meanwhile, hence the slack).
    @Test func freedModelsStopTheirThreads() throws {
        func threadCount() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        }
        var rng = SeededRandom(seed: 98)
        let (inputs, targets) = Self.batch(V: 5, B: 4, T: 3, using: &rng)
        let before = try threadCount()
        for _ in 0..<40 {
            let model = ManyToManyModel(inputSize: 5, hiddenSize: 4, outputSize: 5, using: &rng)
            let parallel = DataParallelModel(model, workers: 2)
            parallel.computeGradients(.tokens(inputs), targets: targets, batchSize: 4)
        }
        let after = try threadCount()
        #expect(after - before < 20, "\(after - before) more threads after 40 split models were freed")
    }

    @Test func recommendedWorkers() {
        // The tutorial's step (about 0.1 MFLOP) stays on one thread; a 2048-token step
        // of the `small` bench model (0.3 GFLOP) splits.
        #expect(BatchSplit.recommendedWorkers(threads: 2, batchSize: 3, flopsPerStep: 1e5) == 1)
        #expect(BatchSplit.recommendedWorkers(threads: 2, batchSize: 32, flopsPerStep: 3e8) == 2)
        #expect(BatchSplit.recommendedWorkers(threads: 4, batchSize: 6, flopsPerStep: 3e8) == 1)
        #expect(BatchSplit.recommendedWorkers(threads: 1, batchSize: 64, flopsPerStep: 3e8) == 1)
        // At least 16 sequences per worker: 32 streams on 16 cores make 2 workers, 64 on 4 make 4.
        #expect(BatchSplit.recommendedWorkers(threads: 16, batchSize: 32, flopsPerStep: 3e8) == 2)
        #expect(BatchSplit.recommendedWorkers(threads: 4, batchSize: 64, flopsPerStep: 3e8) == 4)
        // The model form estimates the FLOPs: small's model at B 32, T 64 is 0.3 GFLOP
        // a step; the tutorial's is 0.1 MFLOP.
        var rng = SeededRandom(seed: 95)
        let small = ManyToManyModel(inputSize: 65, hiddenSize: 128, outputSize: 65, using: &rng)
        #expect(BatchSplit.recommendedWorkers(threads: 2, configuration: small.configuration, batchSize: 32, steps: 64) == 2)
        #expect(BatchSplit.recommendedWorkers(threads: 2, configuration: small.configuration, batchSize: 32, steps: 1) == 1)
        let tutorial = ManyToManyModel(inputSize: 17, hiddenSize: 12, outputSize: 17, using: &rng)
        #expect(BatchSplit.recommendedWorkers(threads: 2, configuration: tutorial.configuration, batchSize: 3, steps: 14) == 1)
        // With oneDNN, recurrent weights of 8 MiB or more (an LSTM's at H 1024: 16 MiB) stay
        // whole; OpenBLAS splits them; below 8 MiB (a vanilla RNN's at H 1024) both split.
        for (weights, onednn) in [(4 * 1024 * 1024, 1), (1024 * 1024, 2), (2 * 1024 * 1024, 1), (2 * 1024 * 1024 - 1, 2)] {
            #expect(
                BatchSplit.recommendedWorkers(
                    threads: 2, batchSize: 64, flopsPerStep: 3e10,
                    recurrentWeights: weights, backend: .oneDNN) == onednn, "\(weights)")
            #expect(
                BatchSplit.recommendedWorkers(
                    threads: 2, batchSize: 64, flopsPerStep: 3e10,
                    recurrentWeights: weights, backend: .openBLAS) == 2, "\(weights)")
        }
        let large = ManyToManyModel(inputSize: 96, hiddenSize: 1024, outputSize: 96, cell: .lstm, using: &rng)
        #expect(
            BatchSplit.recommendedWorkers(threads: 2, configuration: large.configuration, batchSize: 64, steps: 64, backend: .oneDNN) == 1)
        #expect(
            BatchSplit.recommendedWorkers(threads: 2, configuration: large.configuration, batchSize: 64, steps: 64, backend: .openBLAS) == 2
        )
    }
}
