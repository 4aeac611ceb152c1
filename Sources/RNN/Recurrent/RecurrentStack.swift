import Linalg

/// d(loss)/d(`finalState(lengths:)`) during a `backward`: `stateSize` values and the
/// per-sequence lengths the final state was taken at (nil: every sequence's last step).
struct FinalStateGradient {
    let values: [Float]
    let lengths: [Int]?
}

/// A stack of recurrent layers with PyTorch's equations, shapes and names — the one type
/// behind `ElmanRNN`, `GRU` and `LSTM`, which name its cell. It is built of parts
/// (docs/ARCHITECTURE.md, "The recurrent layer in parts"):
///
/// - a **cell** (`CellKernel`: vanilla, GRU, LSTM): one step's math on a batch slice;
/// - a **direction**: the cell walked over the steps, forward or — the second direction
///   of a bidirectional layer — backward within each sequence's length (`ReverseRowOrder`);
/// - a **layer**: one or two directions over a shared input, writing `[T*B, D·H]`;
/// - the **stack**: this type, feeding each layer's output to the next (with dropout);
/// - a **workspace** (`RecurrentWorkspace`): the activations and scratch of training, sized
///   by one `WorkspaceLayout`, which is also the memory estimate;
/// - an **inference plan** (`InferencePlan`): the thread team and the prepared weights.
///
/// Parameters follow PyTorch (`G` = `cell.gateCount`): per layer `k`,
/// `weight_ih_l{k}` [G·H, I_k], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}` [G·H],
/// `bias_hh_l{k}` [G·H], gate blocks stacked in PyTorch's order.
///
/// Batches are **time-major and stacked**: step `t` of sequence `b` is row `t*B + b`.
/// The schedule (docs/ARCHITECTURE.md): the input projections of all gates for all
/// steps are one GEMM (a gather for tokens); each step does one `[B,H]x[H,G·H]` GEMM
/// plus fused elementwise gate math; the weight gradients are one GEMM each over all
/// `T*B` rows.
///
/// **Bidirectional** (`directions` 2, PyTorch's `bidirectional=True`): each layer runs a
/// second, reverse direction with its own parameters (`weight_ih_l{k}_reverse`, ...),
/// which reads each sequence backwards **within its own length** (the `lengths` of
/// `forward`; padding stays after the sequence, as `pack_padded_sequence` gives), so a
/// padded batch gives each sequence's outputs and gradients as if it ran alone. A layer's
/// output is `[T*B, 2H]`, `[forward, reverse]` along the features; layer `k > 0` reads 2H.
/// Internally every direction of every layer is a *layer-direction* `k·D + d`, whose
/// activations and parameter slots the walk indexes (the reverse ones hold their steps in
/// reversed order); with one direction a layer-direction is a layer.
///
/// States (initial and final) are flat `[parts, L·D, B, H]` arrays, where `parts` is 2
/// for the LSTM (`h` then `c`) and 1 otherwise, and block `k·D + d` is layer `k`'s
/// direction `d` (PyTorch's `h_n` order) — `stateSize(batchSize:)`. The reverse
/// direction's final state is its state after reading a sequence back to its first step.
/// The stack keeps the activations of its last `forward` for `backward`.
///
/// ```swift
/// let store = ParameterStore()
/// let gru = RecurrentStack.make(.gru, inputSize: 5, hiddenSize: 8, numLayers: 2, parameters: store)
/// var rng = SeededRandom(seed: 1)
/// gru.initialize(using: &rng)
/// gru.forward(.tokens([0, 3, 1, 4]), batchSize: 2)   // T = 2, B = 2
/// let h = gru.outputs          // [T*B, H] = [4, 8]
/// let hT = gru.finalState()    // [L, B, H] = [2 * 2 * 8]
/// ```
/// - Complexity: forward and backward are `O(T·B·G·H·(I + H·L)·D)`, spent in one input
///   GEMM per layer-direction (a row gather for tokens), `T` small `[B,H]x[H,G·H]` GEMMs,
///   and (backward) weight-gradient GEMMs with `K = T*B`.
public class RecurrentStack {
    public let cell: RecurrentCell
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let hasBias: Bool
    /// 1, or 2 for a bidirectional stack (see the type's documentation).
    public let directions: Int
    /// Whether each layer also runs the reverse direction.
    public var isBidirectional: Bool { directions == 2 }
    /// The width of a layer's output: `directions · hiddenSize`.
    public var outputWidth: Int { directions * hiddenSize }
    /// `numLayers · directions`: the layer-directions the cells run.
    var layerDirections: Int { numLayers * directions }
    /// The vanilla RNN's activation (`ElmanRNN.nonlinearity`); nil for GRU and LSTM,
    /// whose sigmoid/tanh gates are fixed.
    public var vanillaNonlinearity: Nonlinearity? { (kernel as? VanillaCellKernel)?.nonlinearity }
    /// The store that holds this stack's parameters and gradients.
    public let parameters: ParameterStore
    /// The name prefix of the parameters (`"rnn."` for the character model).
    public let prefix: String

    let weightIH: [TensorSlot]
    let weightHH: [TensorSlot]
    let biasIH: [TensorSlot]
    let biasHH: [TensorSlot]

    /// The cell's step math, and the buffers it needs.
    let kernel: any CellKernel
    let cellBuffers: CellBuffers
    /// The activations and scratch of the last forward and backward.
    let workspace: RecurrentWorkspace
    /// The team and the prepared weights the forward reads.
    let plan: InferencePlan
    /// Bidirectional only: the reverse direction's row order of the last forward.
    let reverseOrder: ReverseRowOrder?

    /// Batch size and number of steps of the last `forward`.
    public internal(set) var batchSize = 0
    public internal(set) var steps = 0
    /// When set, forward and backward time their phases into it (not while a `team`
    /// of more than one thread splits the forward).
    public var profiler: PhaseProfiler?
    /// The threads each `forward` splits across (nil: the calling thread alone) — for
    /// inference, evaluation and sampling; `backward` does not use it. A batch of at least
    /// 32 sequences per thread is split by sequences (each thread runs its own rows through
    /// every step); fewer sequences (one: eval, a single sample) are split by hidden
    /// units, each thread computing its units' gates of every step from its share of the
    /// weights, with a barrier per step — so each thread reads `1/size` of the weights,
    /// which stays in its own core's cache. See `StepSchedule.forEachStep`. A team's run
    /// leaves OpenBLAS's process-wide thread count at 1 (`WorkerTeam`).
    ///
    /// Numerics: a single step split by units gives the single thread's bits (each column
    /// is the same `RowProduct` chain); a forward of several steps at once splits its
    /// upper layers' input product by rows, which the GEMM library may round differently
    /// from one product of all rows (OpenBLAS does, by some 1e-7), and a batch's GEMMs
    /// split by units likewise.
    public var team: WorkerTeam? {
        get { plan.team }
        set { plan.team = newValue }
    }

    /// The products in `precision` (see `setPrecision`), one per thread of the `team`.
    private(set) var products = ThreadProducts.initial
    /// The calling thread's products: a training step's (forward and backward).
    var gemms: PrecisionGEMM { products[0] }

    /// The arithmetic of the stack's matrix products (`fp32` unless `setPrecision` chose
    /// `bf16`).
    public var precision: Precision { products.precision }

    /// Runs the products of later forward and backward passes in `precision`: in `bf16`,
    /// every matrix product — a pass's GEMMs, a team's split steps, a single sequence's
    /// steps — takes bf16 operands (the weights rounded once per parameter version) with
    /// float accumulation; biases, gates, states, the LSTM cell and all gradients stay
    /// float.
    /// - Throws: `PrecisionError` where the CPU has no bf16 hardware; nothing changes.
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try precision.check()
        if precision != self.precision { products = .of(precision) }
    }

    /// Whether the bf16 products read the activations' bits rounded once for several
    /// products (`RoundedActivation`: the states, the gate gradients); false rounds every
    /// activation operand at each product instead, the bits the copies must reproduce
    /// (tests). Reset by `setPrecision`.
    package var readsRoundedCopies: Bool {
        get { products.readsRoundedCopies }
        set { products.readsRoundedCopies = newValue }
    }

    /// When set, `backward` calls it with (layer, step `t`, d(loss)/d(h_t) `[B, H]`) as each
    /// step's state gradient is complete (its own loss, the carry from `t + 1` and the
    /// layer above): what `GradientFlow` measures. Unset in training.
    var stateGradientObserver: ((Int, Int, UnsafePointer<Float>) -> Void)?

    var inputIsTokens = true
    var tokens: [Int32] = []
    /// Whether the last forward dropped the inputs of the layers above the first.
    var dropoutActive = false

    /// A stack of `kernel`'s cells; registers its (zero) parameters in `parameters` under
    /// `prefix` (call `initialize`).
    init(
        kernel: any CellKernel, inputSize: Int, hiddenSize: Int, numLayers: Int, bias: Bool, bidirectional: Bool,
        parameters: ParameterStore, prefix: String
    ) {
        let cell = kernel.kind
        precondition(
            inputSize > 0 && hiddenSize > 0 && numLayers > 0,
            "\(cell) stack needs positive sizes, got input \(inputSize), hidden \(hiddenSize), layers \(numLayers)")
        self.cell = cell
        self.kernel = kernel
        self.cellBuffers = kernel.buffers
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.hasBias = bias
        self.directions = bidirectional ? 2 : 1
        self.parameters = parameters
        self.prefix = prefix
        // The layout is RecurrentConfiguration's (checkpoints and counts read the same list):
        // per layer-direction weight_ih, weight_hh, then the two biases.
        let layout = RecurrentConfiguration(cell: cell, hiddenSize: hiddenSize, numLayers: numLayers, bidirectional: bidirectional)
            .parameterShapes(inputSize: inputSize, prefix: prefix, bias: bias)
        let slots = layout.map { parameters.register($0.name, shape: $0.shape) }
        let perLayer = bias ? 4 : 2
        func every(_ first: Int) -> [TensorSlot] { stride(from: first, to: slots.count, by: perLayer).map { slots[$0] } }
        (weightIH, weightHH) = (every(0), every(1))
        (biasIH, biasHH) = bias ? (every(2), every(3)) : ([], [])
        workspace = RecurrentWorkspace(layers: numLayers, directions: directions, stateParts: cell.stateParts)
        plan = InferencePlan(
            layerDirections: numLayers * directions, directions: directions, hidden: hiddenSize,
            gateCount: cell.gateCount)
        reverseOrder = bidirectional ? ReverseRowOrder() : nil
    }

    /// The floats every buffer of the stack holds now — the workspace's activations and
    /// scratch and the plan's prepared weights: after a training step at `(T, B)`, exactly
    /// `configuration.trainingWorkspaceFloats(...)` (a test holds the two equal).
    package var heldFloats: Int { workspace.heldFloats + plan.heldFloats }

    /// The sizes of the workspace's buffers for a step of `(T, B)` over the current input.
    func workspaceLayout(T: Int, B: Int) -> WorkspaceLayout {
        WorkspaceLayout(
            configuration, cell: cellBuffers, inputSize: inputSize, tokenInput: inputIsTokens, steps: T,
            batchSize: B, dropout: dropoutActive, bias: hasBias, precision: precision)
    }

    /// `G·H`, the width of the stacked gate blocks.
    var gateWidth: Int { cell.gateCount * hiddenSize }

    /// The layer of layer-direction `k`.
    func layer(_ k: Int) -> Int { k / directions }

    /// The input width of layer-direction `k`: the input's, or the layer below's output.
    func layerInputSize(_ k: Int) -> Int { layer(k) == 0 ? inputSize : outputWidth }

    /// The number of state values for a batch: `parts * numLayers * directions * B * H`.
    public func stateSize(batchSize: Int) -> Int { cell.stateParts * layerDirections * batchSize * hiddenSize }

    // MARK: - Forward

    /// Runs all layers over `input` (`[T*B]` tokens or `[T*B, inputSize]` vectors).
    ///
    /// - Parameters:
    ///   - input: `[T*B]` tokens or `[T*B, I]` rows, time-major.
    ///   - batchSize: `B`.
    ///   - initialState: `stateSize(batchSize:)` values (`[parts, L·D, B, H]`), zeros when
    ///     nil. Pass the previous chunk's `finalState()` for truncated BPTT: it is used
    ///     as a constant (no gradient flows into the previous chunk).
    ///   - dropout: training only: drops the inputs of layers 1..<L (sites `1..<L` of the
    ///     noise), as `nn.LSTM(dropout:)`; `backward` then runs through the same masks.
    ///     Nil (evaluation) or a rate of 0: no dropout.
    ///   - lengths: `B` lengths in `1...T` (nil: all `T`): where each sequence's reverse
    ///     direction starts, in a bidirectional stack (a one-directional one is causal, so
    ///     padding after a sequence never reaches its steps and it ignores them).
    /// Clears the output gradient that `backward` will read.
    /// - Complexity: `O(T·B·G·H·(I + H·L)·D)`; allocates only when `(B, T)` grows.
    public func forward(
        _ input: SequenceInput, batchSize: Int, initialState: [Float]? = nil, dropout: DropoutNoise? = nil,
        lengths: [Int]? = nil
    ) {
        guard let h0 = initialState else {
            return forward(input, batchSize: batchSize, state: nil, dropout: dropout, lengths: lengths)
        }
        precondition(
            h0.count == stateSize(batchSize: batchSize),
            "initialState has \(h0.count) elements, expected \(stateSize(batchSize: batchSize)) ([\(cell.stateParts), \(layerDirections), \(batchSize), \(hiddenSize)])"
        )
        h0.withUnsafeBufferPointer { forward(input, batchSize: batchSize, state: $0.baseAddress!, dropout: dropout, lengths: lengths) }
    }

    /// `forward` from the `stateSize(batchSize:)` values at `state` (nil: zeros).
    func forward(
        _ input: SequenceInput, batchSize: Int, state: UnsafePointer<Float>?, dropout: DropoutNoise?,
        lengths: [Int]? = nil
    ) {
        let rows = input.rowCount
        let (T, B) = checkedShape(rows: rows, batchSize: batchSize, lengths: lengths)
        switch input {
        case .tokens(let t):
            for (r, token) in t.enumerated() {
                precondition(
                    token >= -1 && Int(token) < inputSize,
                    "token \(token) at row \(r) is outside 0..<\(inputSize) (or -1 for no input)")
            }
            inputIsTokens = true
            tokens.removeAll(keepingCapacity: true)
            tokens.append(contentsOf: t)
            runLayers(T: T, B: B, initialState: state, dropout: dropout)
        case .dense(let m):
            precondition(m.cols == inputSize, "dense input is [\(m.rows), \(m.cols)], expected [T*B, \(inputSize)]")
            inputIsTokens = false
            runLayers(T: T, B: B, initialState: state, dropout: dropout) { x in
                m.storage.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: $0.count) }
            }
        }
    }

    /// `forward` over dense input that `fill` writes straight into the stack's input
    /// buffer `[rows, inputSize]` (an embedding's gather: no copy of the input).
    func forward(
        denseRows rows: Int, batchSize: Int, initialState: UnsafePointer<Float>?, dropout: DropoutNoise?,
        lengths: [Int]? = nil, fill: (UnsafeMutablePointer<Float>) -> Void
    ) {
        let (T, B) = checkedShape(rows: rows, batchSize: batchSize, lengths: lengths)
        inputIsTokens = false
        runLayers(T: T, B: B, initialState: initialState, dropout: dropout, fill: fill)
    }

    /// `(T, B)` of an input of `rows` rows, recorded as the last forward's (with the
    /// reverse direction's row order for `lengths`, when bidirectional).
    private func checkedShape(rows: Int, batchSize: Int, lengths: [Int]?) -> (Int, Int) {
        precondition(batchSize > 0, "batchSize must be positive, got \(batchSize)")
        precondition(
            rows % batchSize == 0 && rows > 0,
            "input has \(rows) rows, not a positive multiple of batch size \(batchSize)")
        self.batchSize = batchSize
        self.steps = rows / batchSize
        if let lengths { checkLengths(lengths) }
        reverseOrder?.reverseRows(steps: steps, batchSize: batchSize, lengths: lengths)
        return (steps, batchSize)
    }

    // MARK: - Outputs and states

    /// The top layer's outputs `[T*B, D·H]` of the last `forward` (a copy).
    public var outputs: Matrix {
        Matrix(rows: steps * batchSize, cols: outputWidth, storage: withOutputs { Array($0) })
    }

    /// Calls `body` with the top layer's outputs `[T*B, D·H]`, without copying.
    public func withOutputs<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if isBidirectional {
            return try body(
                UnsafeBufferPointer(
                    start: workspace.joinedOutputs[numLayers - 1].pointer,
                    count: steps * batchSize * outputWidth))
        }
        return try body(
            UnsafeBufferPointer(
                start: workspace.directions[numLayers - 1].states[0].pointer + batchSize * hiddenSize,
                count: steps * batchSize * hiddenSize))
    }

    /// What the products that read `withOutputs`' rows read for them: the top layer's
    /// `outputsOperand(ofLayer:)`.
    var outputsOperand: PrecisionGEMM.Operand { outputsOperand(ofLayer: numLayers - 1) }

    /// Calls `body` with d(loss)/d(top outputs) `[T*B, D·H]` (zeros after each `forward`)
    /// to fill or accumulate into before `backward`.
    public func withOutputGradient<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        workspace.clearOutputGradients()
        if isBidirectional { return try body(workspace.topOutputGradient.buffer) }
        return try body(workspace.directions[numLayers - 1].outputGradient.buffer)
    }

    /// The row of the top layer's outputs `[T*B, D·H]` that holds direction `d`'s final
    /// `h` of sequence `b`, whose length is `length`: its last step for the forward
    /// direction, its first for the reverse one (which reads it last) — where a classifier
    /// reads `h_n[-2]` and `h_n[-1]` (columns `d·H ..< (d+1)·H` of that row).
    public func finalOutputRow(direction d: Int, sequence b: Int, length: Int) -> Int {
        (d == 0 ? length - 1 : 0) * batchSize + b
    }

    /// Copies each sequence's final outputs (`finalOutputRow` of each direction) into
    /// `out` `[B, D·H]`, after a forward of `lengths.count` sequences: what a head over the
    /// last step reads (`cat(h_n[-2], h_n[-1])` of a bidirectional PyTorch stack).
    /// - Complexity: O(B·D·H).
    func gatherFinalOutputs(lengths: [Int], into out: UnsafeMutablePointer<Float>) {
        let W = outputWidth, H = hiddenSize
        withOutputs { h in
            for (b, length) in lengths.enumerated() {
                for d in 0..<directions {
                    let row = finalOutputRow(direction: d, sequence: b, length: length)
                    (out + b * W + d * H).update(from: h.baseAddress! + row * W + d * H, count: H)
                }
            }
        }
    }

    /// Adds `gradient` `[B, D·H]` (d(loss)/d(the gathered final outputs)) into the output
    /// gradient at the rows `gatherFinalOutputs` read. - Complexity: O(B·D·H).
    func scatterFinalOutputGradient(_ gradient: UnsafePointer<Float>, lengths: [Int]) {
        let W = outputWidth, H = hiddenSize
        withOutputGradient { g in
            for (b, length) in lengths.enumerated() {
                for d in 0..<directions {
                    let to = g.baseAddress! + finalOutputRow(direction: d, sequence: b, length: length) * W + d * H
                    let from = gradient + b * W + d * H
                    for j in 0..<H { to[j] += from[j] }
                }
            }
        }
    }

    /// The state after the last step, `stateSize(batchSize:)` values `[parts, L·D, B, H]`.
    ///
    /// With `lengths` (`B` values in `1...T`), sequence `b` reads its state after its
    /// own last step `lengths[b] - 1`, so padding after a sequence does not matter. A
    /// bidirectional stack takes the lengths its `forward` was given when this is nil
    /// (its reverse direction ends at each sequence's first step).
    public func finalState(lengths: [Int]? = nil) -> [Float] {
        var out: [Float] = []
        finalState(lengths: lengths, into: &out)
        return out
    }

    /// `finalState(lengths:)` written into `out` (no allocation when it already has
    /// the right size, as in a training loop).
    public func finalState(lengths: [Int]? = nil, into out: inout [Float]) {
        let B = batchSize, H = hiddenSize, T = steps, L = layerDirections
        if let lengths { checkLengths(lengths) }
        let lengths = lengthsOfTheForward(lengths)
        let n = stateSize(batchSize: B)
        if out.count != n { out = [Float](repeating: 0, count: n) }
        out.withUnsafeMutableBufferPointer { o in
            for p in 0..<cell.stateParts {
                for k in 0..<L {
                    let src = workspace.directions[k].states[p].pointer
                    for b in 0..<B {
                        let t = lengths?[b] ?? T  // row block t holds the state after step t-1
                        (o.baseAddress! + ((p * L + k) * B + b) * H).update(from: src + (t * B + b) * H, count: H)
                    }
                }
            }
        }
    }

    /// The state after the last step (`finalState()`'s values) into `out`, which holds
    /// `stateSize(batchSize:)` floats — e.g. the initial state the forward read, to carry
    /// on from. No allocation.
    func writeFinalState(into out: UnsafeMutablePointer<Float>) {
        let B = batchSize, H = hiddenSize, T = steps, L = layerDirections
        for p in 0..<cell.stateParts {
            for k in 0..<L {
                (out + (p * L + k) * B * H).update(from: workspace.directions[k].states[p].pointer + T * B * H, count: B * H)
            }
        }
    }

    /// `lengths`, or in a bidirectional stack the lengths its last forward reversed its
    /// sequences by (which any lengths given must equal: its reverse direction's final
    /// state and gradient rows are those of the forward's order).
    func lengthsOfTheForward(_ lengths: [Int]?) -> [Int]? {
        guard let reverseOrder else { return lengths }
        let forward = reverseOrder.givenLengths
        if let lengths {
            precondition(
                lengths.count == batchSize && lengths.indices.allSatisfy { lengths[$0] == (forward?[$0] ?? steps) },
                "a bidirectional stack's final state and backward take the lengths its forward was given, \(forward.map { "\($0)" } ?? "none (all \(steps) steps)"), not \(lengths)"
            )
        }
        return forward
    }

    func checkLengths(_ lengths: [Int]) {
        precondition(lengths.count == batchSize, "lengths has \(lengths.count) entries, batch size is \(batchSize)")
        for (b, n) in lengths.enumerated() {
            precondition(n >= 1 && n <= steps, "lengths[\(b)] = \(n) is outside 1...\(steps)")
        }
    }
}
