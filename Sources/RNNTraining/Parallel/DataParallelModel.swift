import Linalg
import RNN

/// Computes a `SequenceModel`'s training gradients with the **batch split across
/// threads**: each worker thread owns a replica of the model (its own workspaces and
/// gradient buffer, the same parameter values), trains on a contiguous slice of the
/// batch's sequences with single-threaded GEMMs, and the slices' gradients are summed
/// into `model.parameters.gradients`, weighted by how many targets each slice counts.
///
/// Why: the per-step GEMMs `[B, H] x [H, G·H]` are too small for a GEMM library to use
/// two threads well (docs/performance.md has the figures), and the elementwise work, the softmax and the
/// gather stay on one thread. Splitting the batch instead gives each core a whole,
/// independent training step: one fork and one join per step, nothing shared but the
/// read-only parameters.
///
/// The result equals `model.computeGradients` on the whole batch up to float rounding
/// (the mean over counted rows is the count-weighted mean of the slices' means), so
/// clipping and the optimizer run on `model.parameters` unchanged:
/// ```swift
/// let parallel = DataParallelModel(model, workers: 2)
/// let loss = parallel.computeGradients(ManyToManyModel.Batch(input: .tokens(x), targets: y, batchSize: 64,
///                                                            initialState: carried))
/// GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
/// optimizer.step(model.parameters)
/// parallel.finalState(into: &carried)      // not model.finalState: a split step runs replicas
/// ```
///
/// A step that cannot be split (one worker, or a single sequence) runs `model` itself,
/// so callers can train through this type whatever `BatchSplit.recommendedWorkers` said.
/// `Trainer` trains through it.
///
/// The workers need single-threaded GEMMs: they run on a `WorkerTeam`, whose ranks run
/// inside `ComputeThreads.singleThreaded`, which sets oneDNN's thread count for that worker's
/// thread alone (restored after the step) and OpenBLAS's process-wide count to 1, **left
/// so**: OpenBLAS has no per-thread control, and raising its count after every step would
/// cost a core (its idle threads wake and spin in `sched_yield`, and the split step runs
/// slower than an unsplit one).
/// - Complexity: per step, the model's `O(T·B·(G·H·(I + H·L) + H·O))` split over the
///   workers, plus `O(P·W)` to copy the `P` parameters into `W` replicas and sum their
///   gradients, split over the workers' threads. Allocates only when `B` or `T` changes
///   (buffers are resized to fit).
public final class DataParallelModel<Model: SequenceModel> {
    /// The model whose parameters and gradients this trains.
    public let model: Model
    /// The number of worker threads (and replicas; none when 1: the model runs itself).
    public let workerCount: Int
    private let replicas: [Model]
    /// Per worker: its slice of the batch (inputs, targets, initial state).
    private var workerBatches: [Model.Batch]
    /// Per worker: its replica's final state, for `finalState(into:)`.
    private var workerStates: [[Float]]
    /// One slot per worker for its loss, written from the worker threads.
    private let workerLosses: UnsafeMutablePointer<Double>
    /// The worker threads (rank 0 is the caller's), made at the first split step: the
    /// same `WorkerTeam` that multi-threaded inference runs on.
    private var team: WorkerTeam?
    /// The batch rows of each active worker in the last step.
    private var slices: [Range<Int>] = []
    private var lastBatchSize = 0
    /// Whether the last step was split across replicas (false: `model` ran it), or nil
    /// before the first step.
    private var lastStepWasSplit: Bool?

    /// When set, worker 0 times its phases into it (the others do the same work at the
    /// same time), so the shares describe one worker's step; an unsplit step times
    /// `model`'s.
    public var profiler: PhaseProfiler? {
        didSet {
            model.profiler = profiler
            replicas.first?.profiler = profiler
        }
    }

    /// Replicas of `model` for `workers` threads (at least 1; with 1 there are none and
    /// every step runs `model`). Each replica is built from `model.configuration`; its
    /// values are copied from `model` at every split step.
    public init(_ model: Model, workers: Int) {
        precondition(workers >= 1, "DataParallelModel needs at least one worker, got \(workers)")
        self.model = model
        workerCount = workers
        var rng = SeededRandom(seed: 0)  // replaced by the model's values before use
        replicas = workers == 1 ? [] : (0..<workers).map { _ in Model(model.configuration, using: &rng) }
        precondition(
            replicas.allSatisfy { $0.parameters.slots == model.parameters.slots },
            "DataParallelModel: the model's parameter layout cannot be replicated from its configuration")
        workerBatches = (0..<workers).map { _ in Model.Batch() }
        workerStates = Array(repeating: [], count: workers)
        workerLosses = .allocate(capacity: workers)
        workerLosses.initialize(repeating: 0, count: workers)
    }

    deinit { workerLosses.deallocate() }

    /// As `model.computeGradients(batch)`: zeroes `model.parameters.gradients`, then
    /// fills them with d(mean loss)/d(parameters) over the whole batch and returns the
    /// mean loss. The batch's sequences go to the workers in contiguous slices; with one
    /// worker or one sequence, `model.computeGradients` runs the whole batch.
    @discardableResult
    public func computeGradients(_ batch: Model.Batch) -> Double {
        let B = batch.batchSize
        precondition(B > 0, "batchSize must be positive, got \(B)")
        if let h0 = batch.initialState {
            precondition(
                h0.count == model.stateBlocks * B * model.stateWidth,
                "initialState has \(h0.count) elements, expected \(model.stateBlocks * B * model.stateWidth)")
        }
        let active = min(workerCount, B)
        lastStepWasSplit = active > 1
        lastBatchSize = B
        if active == 1 { return model.computeGradients(batch) }
        if slices.count != active || slices.last?.upperBound != B {
            slices = (0..<active).map { w in (w * B / active)..<((w + 1) * B / active) }
        }
        for w in 0..<active {
            workerBatches[w].takeSequences(slices[w], of: batch, stateBlocks: model.stateBlocks)
            replicas[w].trainingStep = model.trainingStep
            // The model's precision was checked when it was set, so a replica's cannot fail.
            if replicas[w].precision != model.precision { try! replicas[w].setPrecision(model.precision) }
        }
        // Each worker's weight n_w / n, with n_w the targets its slice counts (0: none).
        let total = (0..<active).reduce(0) { $0 + workerBatches[$1].countedTargets }
        let weights = (0..<active).map { Double(workerBatches[$0].countedTargets) / Double(max(total, 1)) }
        runWorkers(active, weights: weights)
        model.trainingStep += 1  // as the model's own computeGradients does
        return (0..<active).reduce(0.0) { $0 + (weights[$1] > 0 ? weights[$1] * workerLosses[$1] : 0) }
    }

    // Measured on a Zen 4, 2 threads, against the copies and the sum on the calling thread
    // alone: bf16 ref/gru +7.0%, ref/lstm +1.3%, deep/gru and deep/lstm +4%; fp32 ref
    // +2.4% (GRU) and +3.1% (LSTM) (interleaved runs, medians).
    /// Runs the `active` (≥ 2) workers on the team, each on its own thread with
    /// single-threaded GEMMs (see the type's notes): it copies the model's values into its
    /// replica and runs `computeGradients` on its slice. Then, after a barrier, every rank
    /// sums its share of `model.parameters.gradients = Σ_w weights[w] · g_w`.
    /// - Complexity: the workers' steps, plus per rank `O(P)` to copy its replica's
    ///   values and `O(P·W / size)` for its share of the sum.
    private func runWorkers(_ active: Int, weights: [Double]) {
        if team == nil { team = WorkerTeam(size: workerCount) }
        let team = team!, P = model.parameters.count
        model.parameters.values.withUnsafeBufferPointer { values in
            model.parameters.gradients.withUnsafeMutableBufferPointer { gradients in
                let work = WorkerSet(
                    replicas: replicas, batches: workerBatches, losses: workerLosses, values: values.baseAddress!)
                let out = gradients.baseAddress!
                team.run { rank in
                    if rank < active { work.run(rank) }
                    team.barrier()
                    // Shares at multiples of 64 floats, so that each element takes the path
                    // of the axpy kernel it takes in one sum over all of them (its vector
                    // loop, not its tail), the workers in the same order: the same bits.
                    work.sum(team.share(of: P, rank: rank, granule: 64), weights: weights, into: out)
                }
            }
        }
    }

    /// The state after the last `computeGradients`, in the whole batch's
    /// `[blocks, B, H]` layout (`model.stateBlocks · B · model.stateWidth` values), for
    /// the next chunk of truncated BPTT. No allocation when `out` has the right size.
    /// - Precondition: the model carries a state (`model.carriesState`).
    public func finalState(into out: inout [Float]) {
        guard let split = lastStepWasSplit else { preconditionFailure("finalState called before computeGradients") }
        guard split else { return model.finalState(into: &out) }
        let B = lastBatchSize, H = model.stateWidth, blocks = model.stateBlocks
        let n = blocks * B * H
        if out.count != n { out = [Float](repeating: 0, count: n) }
        for (w, slice) in slices.enumerated() {
            replicas[w].finalState(into: &workerStates[w])
            TimeMajor.scatter(workerStates[w], width: H, steps: blocks, batchSize: B, sequences: slice, into: &out)
        }
    }

    /// `finalState(into:)` as a new array.
    public func finalState() -> [Float] {
        var out: [Float] = []
        finalState(into: &out)
        return out
    }
}

/// What the worker threads read: the replicas and their slices, fixed for one step, and
/// the model's parameter values. Each worker writes only its own replica and loss slot;
/// after the barrier, each rank its share of the summed gradients.
private struct WorkerSet<Model: SequenceModel> {
    let replicas: [Model]
    let batches: [Model.Batch]
    let losses: UnsafeMutablePointer<Double>
    let values: UnsafePointer<Float>

    /// Worker `w`'s step: the model's values into its replica (a copy, no allocation), then
    /// its `computeGradients` (the team runs it with single-threaded GEMMs), whose mean
    /// loss goes to `losses[w]`.
    func run(_ w: Int) {
        replicas[w].parameters.values.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: values, count: $0.count) }
        losses[w] = replicas[w].computeGradients(batches[w])
    }

    /// `out[range] = Σ_w weights[w] · g_w[range]` over the workers with a weight, in
    /// their order. - Complexity: O(|range|·W).
    func sum(_ range: Range<Int>, weights: [Double], into out: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        let first = range.lowerBound
        (out + first).update(repeating: 0, count: range.count)
        for (w, weight) in weights.enumerated() where weight > 0 {
            replicas[w].parameters.gradients.withUnsafeBufferPointer { gw in
                BLAS.axpy(count: range.count, alpha: Float(weight), x: gw.baseAddress! + first, y: out + first)
            }
        }
    }
}

extension DataParallelModel where Model == ManyToManyModel {
    /// `computeGradients` of the character model's batch of these arguments
    /// (`ManyToManyModel.Batch`).
    @discardableResult
    public func computeGradients(
        _ input: SequenceInput, targets: [Int32], batchSize: Int,
        initialState: [Float]? = nil
    ) -> Double {
        computeGradients(ManyToManyModel.Batch(input: input, targets: targets, batchSize: batchSize, initialState: initialState))
    }
}
