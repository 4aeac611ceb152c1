import Linalg

/// Computes a `ManyToManyModel`'s training gradients with the **batch split across
/// threads**: each worker thread owns a replica of the model (its own workspaces and
/// gradient buffer, the same parameter values), trains on a contiguous slice of the
/// batch's sequences with single-threaded GEMMs, and the slices' gradients are summed
/// into `model.parameters.gradients`, weighted by how many targets each slice counts.
///
/// Why: the per-step GEMMs `[B, H] x [H, G·H]` are too small for OpenBLAS to use two
/// threads well (measured on 2 cores below H = 1024: 54–73% of the 2-thread peak, against
/// 66–92% of the 1-thread peak on one), and the elementwise work, the softmax and the
/// gather stay on one thread. Splitting the batch instead gives each core a whole,
/// independent training step: one fork and one join per step, nothing shared but the
/// read-only parameters.
///
/// The result equals `model.computeGradients` on the whole batch up to float rounding
/// (the mean over counted rows is the count-weighted mean of the slices' means), so
/// clipping and the optimizer run on `model.parameters` unchanged:
/// ```swift
/// let parallel = DataParallelModel(model, workers: 2)
/// let loss = parallel.computeGradients(.tokens(x), targets: y, batchSize: 64, initialState: carried)
/// GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
/// optimizer.step(model.parameters)
/// parallel.finalState(into: &carried)      // not model.rnn.finalState: a split step runs replicas
/// ```
///
/// A step that cannot be split (one worker, or a single sequence) runs `model` itself,
/// so callers can train through this type whatever `recommendedWorkers` said.
///
/// The workers need single-threaded GEMMs: each runs its share inside
/// `ComputeThreads.singleThreaded`, which sets oneDNN's thread count for that worker's
/// thread alone (restored after the step) and OpenBLAS's process-wide count to 1, **left
/// so**: OpenBLAS has no per-thread control, and raising its count after every step would
/// cost a core (its idle threads wake and spin: measured, 20–30% of the machine's time in
/// `sched_yield`, and the split step slower than an unsplit one).
/// - Complexity: per step, the model's `O(T·B·(G·H·(I + H·L) + H·O))` split over the
///   workers, plus `O(P·W)` to copy the `P` parameters into `W` replicas and sum their
///   gradients. Allocates only when `B` or `T` changes (buffers are resized to fit).
public final class DataParallelModel {
    /// The model whose parameters and gradients this trains.
    public let model: ManyToManyModel
    /// The number of worker threads (and replicas; none when 1: the model runs itself).
    public let workerCount: Int
    private let replicas: [ManyToManyModel]
    /// Per worker: its slice of the batch's inputs, targets and initial state.
    private var workerTokens: [[Int32]]
    private var workerDense: [Matrix]
    private var workerTargets: [[Int32]]
    private var workerStates: [[Float]]
    private var workerCounted: [Int]
    /// One slot per worker for its loss, written from the worker threads.
    private let workerLosses: UnsafeMutablePointer<Double>
    private var inputIsTokens = true
    /// The helper threads (worker 0 is the caller's), made at the first split step.
    private var pool: WorkerPool?
    /// What the workers of the running step read (set just before `pool.run()`).
    private var currentWork: WorkerSet?
    /// The batch rows `start ..< start + count` of each active worker in the last step.
    private var slices: [(start: Int, count: Int)] = []
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
    /// every step runs `model`). Each replica has the model's architecture; its values
    /// are copied from `model` at every split step.
    public init(_ model: ManyToManyModel, workers: Int) {
        precondition(workers >= 1, "DataParallelModel needs at least one worker, got \(workers)")
        self.model = model
        workerCount = workers
        let rnn = model.rnn
        var rng = SeededRandom(seed: 0)   // replaced by the model's values before use
        replicas = workers == 1 ? [] : (0..<workers).map { _ in
            ManyToManyModel(inputSize: rnn.inputSize, hiddenSize: rnn.hiddenSize, outputSize: model.outputSize,
                            numLayers: rnn.numLayers, cell: rnn.cell, nonlinearity: rnn.vanillaNonlinearity ?? .tanh, using: &rng)
        }
        precondition(replicas.allSatisfy { $0.parameters.slots == model.parameters.slots },
                     "DataParallelModel: the model's parameter layout cannot be replicated")
        workerTokens = Array(repeating: [], count: workers)
        workerDense = Array(repeating: Matrix(rows: 0, cols: rnn.inputSize), count: workers)
        workerTargets = Array(repeating: [], count: workers)
        workerStates = Array(repeating: [], count: workers)
        workerCounted = Array(repeating: 0, count: workers)
        workerLosses = .allocate(capacity: workers)
        workerLosses.initialize(repeating: 0, count: workers)
    }

    deinit { workerLosses.deallocate() }

    /// How many workers to split a training step across on `threads` cores: as many as
    /// give each worker at least `minimumRowsPerWorker` (16) sequences, at most `threads`;
    /// 1 (no split, the GEMM backend's threads inside each GEMM) when that is fewer than 2,
    /// when the step is too small to pay for a fork and join (under ~5 MFLOP per worker,
    /// about 0.1 ms), as the tutorial's, or when oneDNN runs the GEMMs and one layer's
    /// recurrent weights `W_hh` reach `largeRecurrentWeightBytes` (8 MiB).
    ///
    /// Measured on 2 cores, the split against the backend's 2 threads inside each GEMM:
    /// - OpenBLAS (AMD EPYC Zen 3, alternating rounds of one process, 2 s apart so that
    ///   OpenBLAS's idle threads have stopped spinning): 1.98x (H 128), 1.23x (H 256),
    ///   1.03x (3 layers), 1.12x (H 512), 1.09x (H 1024) for the vanilla RNN; 1.00–1.04x
    ///   for the LSTM at H 256–1024. Never clearly slower, so the hidden size does not
    ///   matter; fewer rows per worker make each worker repack the recurrent weights for
    ///   less work, hence the floor (measured with 2 workers only).
    /// - oneDNN (AMD EPYC Zen 5, AVX-512, best of 2 alternating runs each): 1.00–1.29x for
    ///   every cell at H 128–512 (3 layers included), but at H 1024 0.99x (rnn, W_hh
    ///   4 MiB), 0.91x (gru, 12 MiB) and 0.86x (lstm, 16 MiB): each worker streams the
    ///   whole `W_hh` every step, while oneDNN's two threads each stream half of it.
    ///
    /// - Parameters:
    ///   - flopsPerStep: the step's training FLOPs (`tokens × FLOPs per token`).
    ///   - recurrentWeights: the elements of one layer's `W_hh` (`G·H²`); 0 if unknown.
    ///   - backend: the GEMM backend the step runs on.
    public static func recommendedWorkers(threads: Int, batchSize: Int, flopsPerStep: Double,
                                          recurrentWeights: Int = 0, backend: GEMMBackend = GEMM.backend) -> Int {
        let workers = min(threads, batchSize / minimumRowsPerWorker)
        guard workers > 1 else { return 1 }
        if backend == .oneDNN && recurrentWeights * MemoryLayout<Float>.size >= largeRecurrentWeightBytes { return 1 }
        return flopsPerStep / Double(workers) >= 5e6 ? workers : 1
    }

    /// The size of one layer's recurrent weights from which, with oneDNN, the backend's
    /// own threads beat the batch split (see `recommendedWorkers`).
    public static let largeRecurrentWeightBytes = 8 << 20

    /// The fewest sequences per worker `recommendedWorkers` splits a batch into.
    public static let minimumRowsPerWorker = 16

    /// `recommendedWorkers` for training `model` on `[T = steps, B = batchSize]` chunks,
    /// with the step's FLOPs estimated from the model's GEMMs: 6 per weight per token,
    /// layer 0's input weights not counted (token input: a gather).
    public static func recommendedWorkers(threads: Int, model: ManyToManyModel, batchSize: Int, steps: Int,
                                          backend: GEMMBackend = GEMM.backend) -> Int {
        let rnn = model.rnn
        let H = Double(rnn.hiddenSize), gH = Double(rnn.cell.gateCount) * H, L = Double(rnn.numLayers)
        let weights = gH * H * (2 * L - 1) + H * Double(model.outputSize)
        return recommendedWorkers(threads: threads, batchSize: batchSize, flopsPerStep: 6 * weights * Double(batchSize * steps),
                                  recurrentWeights: rnn.cell.gateCount * rnn.hiddenSize * rnn.hiddenSize, backend: backend)
    }

    /// As `ManyToManyModel.computeGradients`: zeroes `model.parameters.gradients`, then
    /// fills them with d(mean loss)/d(parameters) over the whole batch and returns the
    /// mean loss. Sequences `b` of the batch go to the workers in contiguous slices; with
    /// one worker or one sequence, `model.computeGradients` runs the whole batch.
    ///
    /// - Parameters:
    ///   - input: `[T*B]` tokens or `[T*B, I]` vectors, time-major.
    ///   - targets: `[T*B]` class indices, `-1` = not counted.
    ///   - initialState: `model.rnn.stateSize(batchSize: B)` values or nil for zeros.
    @discardableResult
    public func computeGradients(_ input: SequenceInput, targets: [Int32], batchSize B: Int,
                                 initialState: [Float]? = nil) -> Double {
        precondition(B > 0, "batchSize must be positive, got \(B)")
        let rows = input.rowCount
        precondition(rows > 0 && rows % B == 0, "input has \(rows) rows, not a positive multiple of batch size \(B)")
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows (T*B)")
        let T = rows / B
        let rnn = model.rnn
        if let h0 = initialState {
            precondition(h0.count == rnn.stateSize(batchSize: B),
                         "initialState has \(h0.count) elements, expected \(rnn.stateSize(batchSize: B))")
        }
        let active = min(workerCount, B)
        lastStepWasSplit = active > 1
        if active == 1 {
            return model.computeGradients(input, targets: targets, batchSize: B, initialState: initialState)
        }
        if B != lastBatchSize {
            slices = (0..<active).map { w in
                let start = w * B / active
                return (start, (w + 1) * B / active - start)
            }
            lastBatchSize = B
        }
        for w in 0..<active {
            scatter(input, targets: targets, initialState: initialState, worker: w, T: T, B: B)
            copyValues(into: replicas[w])
        }
        runWorkers(active, initialState: initialState != nil)
        return combine(active)
    }

    /// Copies worker `w`'s sequences (batch rows `slices[w]`) out of the whole batch.
    private func scatter(_ input: SequenceInput, targets: [Int32], initialState: [Float]?, worker w: Int, T: Int, B: Int) {
        let (start, n) = slices[w]
        Self.gatherRows(targets, width: 1, T: T, B: B, start: start, count: n, into: &workerTargets[w])
        switch input {
        case .tokens(let tokens):
            inputIsTokens = true
            Self.gatherRows(tokens, width: 1, T: T, B: B, start: start, count: n, into: &workerTokens[w])
        case .dense(let m):
            precondition(m.cols == model.rnn.inputSize,
                         "dense input is [\(m.rows), \(m.cols)], expected [T*B, \(model.rnn.inputSize)]")
            inputIsTokens = false
            if workerDense[w].rows != T * n || workerDense[w].cols != m.cols {
                workerDense[w] = Matrix(rows: T * n, cols: m.cols)
            }
            Self.gatherRows(m.storage, width: m.cols, T: T, B: B, start: start, count: n, into: &workerDense[w].storage)
        }
        if let h0 = initialState {
            // [parts, L, B, H]: each (part, layer) block is one "step" of B rows of width H.
            let blocks = model.rnn.cell.stateParts * model.rnn.numLayers
            Self.gatherRows(h0, width: model.rnn.hiddenSize, T: blocks, B: B, start: start, count: n, into: &workerStates[w])
        }
    }

    /// From a time-major `[T, B, width]` array, the `[T, count, width]` array of batch
    /// rows `start ..< start + count`, written into `out` (resized only if needed).
    static func gatherRows<E: BitwiseCopyable>(_ source: [E], width: Int, T: Int, B: Int, start: Int, count: Int,
                                               into out: inout [E]) {
        let n = T * count * width
        if out.count != n { out = Array(source.prefix(n)) }
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for t in 0..<T {
                    (dst.baseAddress! + t * count * width)
                        .update(from: src.baseAddress! + (t * B + start) * width, count: count * width)
                }
            }
        }
    }

    /// The model's current parameter values into `replica`'s (a copy, no allocation).
    private func copyValues(into replica: ManyToManyModel) {
        model.parameters.values.withUnsafeBufferPointer { src in
            replica.parameters.values.withUnsafeMutableBufferPointer { dst in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
    }

    /// Runs each of the `active` (≥ 2) workers' `computeGradients` on its own thread, with
    /// single-threaded GEMMs (see the type's notes).
    private func runWorkers(_ active: Int, initialState: Bool) {
        let work = WorkerSet(replicas: replicas, tokens: inputIsTokens ? workerTokens : nil, dense: workerDense,
                             targets: workerTargets, states: initialState ? workerStates : nil, slices: slices,
                             losses: SendablePointer(workerLosses))
        if pool == nil {
            let me = UnownedReference(self)
            pool = WorkerPool(count: workerCount) { w in me.object.currentWork!.run(w) }
        }
        currentWork = work
        // OpenBLAS's count is process-wide: set it to 1 here, before the helpers start.
        ComputeThreads.singleThreaded { pool!.run(workers: active) }
        currentWork = nil
    }

    /// `model.parameters.gradients = Σ_w (n_w / n) · g_w` with `n_w` the counted targets
    /// of worker `w`; returns the same weighting of the losses.
    private func combine(_ active: Int) -> Double {
        var total = 0
        for w in 0..<active {
            workerCounted[w] = workerTargets[w].reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
            total += workerCounted[w]
        }
        var loss = 0.0
        let P = model.parameters.count
        model.parameters.gradients.withUnsafeMutableBufferPointer { g in
            let out = g.baseAddress!
            out.update(repeating: 0, count: P)
            for w in 0..<active where workerCounted[w] > 0 {
                let weight = Double(workerCounted[w]) / Double(total)
                loss += weight * workerLosses[w]
                replicas[w].parameters.gradients.withUnsafeBufferPointer { gw in
                    BLAS.axpy(count: P, alpha: Float(weight), x: gw.baseAddress!, y: out)
                }
            }
        }
        return loss
    }

    /// The state after the last step of the last `computeGradients`, in the whole
    /// batch's `[parts, L, B, H]` layout (`model.rnn.stateSize(batchSize: B)` values),
    /// for the next chunk of truncated BPTT. No allocation when `out` has the right size.
    public func finalState(into out: inout [Float]) {
        guard let split = lastStepWasSplit else { preconditionFailure("finalState called before computeGradients") }
        guard split else { return model.rnn.finalState(into: &out) }
        let rnn = model.rnn, B = lastBatchSize, H = rnn.hiddenSize
        let blocks = rnn.cell.stateParts * rnn.numLayers
        let n = rnn.stateSize(batchSize: B)
        if out.count != n { out = [Float](repeating: 0, count: n) }
        for (w, slice) in slices.enumerated() {
            replicas[w].rnn.finalState(into: &workerStates[w])
            workerStates[w].withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for block in 0..<blocks {
                        (dst.baseAddress! + (block * B + slice.start) * H)
                            .update(from: src.baseAddress! + block * slice.count * H, count: slice.count * H)
                    }
                }
            }
        }
    }

    /// `finalState(into:)` as a new array.
    public func finalState() -> [Float] {
        var out: [Float] = []
        finalState(into: &out)
        return out
    }
}

/// What the worker threads read: the replicas and their slices, fixed for one step.
/// Each worker touches only its own replica and arrays, so sharing them is safe.
private struct WorkerSet: @unchecked Sendable {
    let replicas: [ManyToManyModel]
    /// Token slices, or nil for dense input (then `dense`).
    let tokens: [[Int32]]?
    let dense: [Matrix]
    let targets: [[Int32]]
    /// Initial-state slices, or nil for zeros.
    let states: [[Float]]?
    let slices: [(start: Int, count: Int)]
    let losses: SendablePointer<Double>

    /// Worker `w`'s `computeGradients` with single-threaded GEMMs on its thread; its mean
    /// loss goes to `losses[w]`.
    func run(_ w: Int) {
        let input: SequenceInput = tokens.map { .tokens($0[w]) } ?? .dense(dense[w])
        losses.pointer[w] = ComputeThreads.singleThreaded {
            replicas[w].computeGradients(input, targets: targets[w], batchSize: slices[w].count,
                                         initialState: states?[w])
        }
    }
}

/// The model, for the pool's workers: the pool lives inside it and runs only while
/// `computeGradients` holds it, so the reference needs no retain.
private struct UnownedReference: @unchecked Sendable {
    unowned let object: DataParallelModel
    init(_ object: DataParallelModel) { self.object = object }
}

/// A pointer the workers write their own element of.
private struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
