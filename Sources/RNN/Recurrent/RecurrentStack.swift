import Linalg

/// d(loss)/d(`finalState(lengths:)`) during a `backward`: `stateSize` values and the
/// per-sequence lengths the final state was taken at (nil: every sequence's last step).
struct FinalStateGradient {
    let values: [Float]
    let lengths: [Int]?
}

/// What every recurrent layer stack shares — `ElmanRNN`, `GRU` and `LSTM` are its
/// subclasses and differ only in the per-step cell.
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
/// buffers and parameter slots the cells index (the reverse ones hold their steps in
/// reversed order); with one direction a layer-direction is a layer.
///
/// States (initial and final) are flat `[parts, L·D, B, H]` arrays, where `parts` is 2
/// for the LSTM (`h` then `c`) and 1 otherwise, and block `k·D + d` is layer `k`'s
/// direction `d` (PyTorch's `h_n` order) — `stateSize(batchSize:)`. The reverse
/// direction's final state is its state after reading a sequence back to its first step.
/// The stack keeps the activations of its last `forward` for `backward`.
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
    public var vanillaNonlinearity: Nonlinearity? { nil }
    /// The store that holds this stack's parameters and gradients.
    public let parameters: ParameterStore
    /// The name prefix of the parameters (`"rnn."` for the character model).
    public let prefix: String

    let weightIH: [TensorSlot]
    let weightHH: [TensorSlot]
    let biasIH: [TensorSlot]
    let biasHH: [TensorSlot]

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
    /// which stays in its own core's cache. See `forEachStep`. A team's run leaves
    /// OpenBLAS's process-wide thread count at 1 (`WorkerTeam`).
    ///
    /// Numerics: a single step split by units gives the single thread's bits (each column
    /// is the same `RowProduct` chain); a forward of several steps at once splits its
    /// upper layers' input product by rows, which the GEMM library may round differently
    /// from one product of all rows (OpenBLAS does, by some 1e-7), and a batch's GEMMs
    /// split by units likewise.
    public var team: WorkerTeam?
    /// When set, `backward` calls it with (layer, step `t`, d(loss)/d(h_t) `[B, H]`) as each
    /// step's state gradient is complete (its own loss, the carry from `t + 1` and the
    /// layer above): what `GradientFlow` measures. Unset in training.
    var stateGradientObserver: ((Int, Int, UnsafePointer<Float>) -> Void)?

    /// Reports `block` (layer `k`'s d(loss)/d(h_t)) to the observer, if one is set.
    @inline(__always)
    func observeStateGradient(_ k: Int, _ t: Int, _ block: UnsafeMutablePointer<Float>) {
        if let observer = stateGradientObserver { observer(k, t, UnsafePointer(block)) }
    }

    /// Per layer-direction: `[(T+1)*B, H]`, the initial `h` block first, then `h` after
    /// each step (so "previous states" is one contiguous `[T*B, H]` matrix).
    var states: [FloatBuffer]
    /// Per layer-direction: d(loss)/d(outputs) `[T*B, H]` (the carry accumulates into it).
    var outputGradients: [FloatBuffer]
    var inputIsTokens = true
    var tokens: [Int32] = []
    /// Bidirectional only: the parts of the last forward that join the two directions
    /// (`Bidirectional.swift`).
    let bidirectional: BidirectionalBuffers?
    let denseInput = FloatBuffer()
    let initialStateGradientBuffer = FloatBuffer()
    let inputGradientBuffer = FloatBuffer()
    /// Backward scratch: `[V, G·H]` token-input weight gradient rows (transposed), and
    /// `[G·H]` column sums shared by both biases.
    let tokenWeightGradient = FloatBuffer()
    let biasGradientSums = FloatBuffer()
    /// The weights its forward reads in prepared form, kept while the parameters do not
    /// change (`PreparedWeights`): token tables, `W_hhᵀ`, `W_ihᵀ`, a team's packed shares.
    let prepared: PreparedWeights
    /// Dropout between layers (as `nn.LSTM(dropout:)`): per layer `k ≥ 1`, the mask on its
    /// input (site `k`) and the dropped input `[T*B, D·H]` itself (index `k - 1`), used when
    /// the last `forward` had `dropout`.
    var layerDropouts: [DropoutSite] = []
    var droppedInputs: [FloatBuffer] = []
    var dropoutActive = false
    /// Backward scratch: d(loss)/d(dropped input) `[T*B, H]` before its mask.
    let droppedInputGradient = FloatBuffer()

    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, numLayers: Int,
         bias: Bool, bidirectional: Bool, parameters: ParameterStore, prefix: String) {
        precondition(inputSize > 0 && hiddenSize > 0 && numLayers > 0,
                     "\(cell) stack needs positive sizes, got input \(inputSize), hidden \(hiddenSize), layers \(numLayers)")
        self.cell = cell
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
        let units = numLayers * directions
        states = (0..<units).map { _ in FloatBuffer() }
        outputGradients = (0..<units).map { _ in FloatBuffer() }
        prepared = PreparedWeights(layerDirections: units, directions: directions)
        layerDropouts = (1..<max(numLayers, 1)).map { DropoutSite(site: $0) }
        droppedInputs = (1..<max(numLayers, 1)).map { _ in FloatBuffer() }
        self.bidirectional = bidirectional ? BidirectionalBuffers(numLayers: numLayers) : nil
    }

    /// The floats every buffer of the stack holds now — activations, scratch, prepared
    /// weights: after a training step at `(T, B)`, exactly
    /// `configuration.trainingWorkspaceFloats(...)` (the memory estimate is that formula,
    /// and a test holds it to this count).
    package var heldFloats: Int {
        let own = states + outputGradients + droppedInputs
            + [denseInput, initialStateGradientBuffer, inputGradientBuffer, tokenWeightGradient, biasGradientSums,
               droppedInputGradient]
        return own.reduce(0) { $0 + $1.heldFloats } + prepared.heldFloats + layerDropouts.reduce(0) { $0 + $1.heldFloats }
            + cellHeldFloats + (bidirectional?.heldFloats ?? 0)
    }

    /// `G·H`, the width of the stacked gate blocks.
    var gateWidth: Int { cell.gateCount * hiddenSize }

    /// The layer of layer-direction `k`.
    func layer(_ k: Int) -> Int { k / directions }

    /// The input width of layer-direction `k`: the input's, or the layer below's output.
    func layerInputSize(_ k: Int) -> Int { layer(k) == 0 ? inputSize : outputWidth }

    /// The number of state values for a batch: `parts * numLayers * directions * B * H`.
    public func stateSize(batchSize: Int) -> Int { cell.stateParts * layerDirections * batchSize * hiddenSize }

    // MARK: - What each cell provides

    /// Sizes the cell's own buffers for `(T, B)`.
    func prepareCellBuffers(T: Int, B: Int) {}
    /// The floats the cell's own buffers hold.
    var cellHeldFloats: Int { 0 }
    /// The buffers of state part `p` of layer `k`, each `[(T+1)*B, H]` with the initial
    /// state first (part 0 is `states[k]`).
    func stateBuffer(part: Int, layer k: Int) -> FloatBuffer { states[k] }
    /// Where layer `k`'s input projections `[T*B, G·H]` go (they arrive with biases added).
    func projectionTarget(_ k: Int) -> UnsafeMutablePointer<Float> { fatalError("abstract") }
    /// Layer `k`'s activated gates `[T*B, G·H]` of the last forward (GRU, LSTM: their
    /// gate blocks in PyTorch's order); the vanilla RNN has none.
    func activatedGates(layer k: Int) -> UnsafePointer<Float> { preconditionFailure("\(cell) has no gates") }
    /// Whether `b_hh` is added to the input projection (false for GRU, whose `b_hn`
    /// sits inside the reset product).
    var hiddenBiasInProjection: Bool { true }
    /// The per-step forward of layer `k` over the prepared projections.
    func recurrenceForward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>) { fatalError("abstract") }
    /// The per-step backward of layer `k`. Reads `outputGradients[k]` (the `h` part of a
    /// final-state gradient already added), writes the initial-state gradients of layer
    /// `k`, and returns d(loss)/d(input-side pre-activations) and d(loss)/d(hidden-side
    /// pre-activations), each `[T*B, G·H]`. `finalState` is the whole final-state
    /// gradient, for the state parts beyond `h` (the LSTM's `c`).
    func recurrenceBackward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, finalState: FinalStateGradient?)
        -> (inputSide: UnsafePointer<Float>, hiddenSide: UnsafePointer<Float>) { fatalError("abstract") }

    // MARK: - Forward

    /// Runs all layers over `input` (`[T*B]` tokens or `[T*B, inputSize]` vectors).
    ///
    /// - Parameters:
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
    public func forward(_ input: SequenceInput, batchSize: Int, initialState: [Float]? = nil, dropout: DropoutNoise? = nil,
                        lengths: [Int]? = nil) {
        guard let h0 = initialState else {
            return forward(input, batchSize: batchSize, state: nil, dropout: dropout, lengths: lengths)
        }
        precondition(h0.count == stateSize(batchSize: batchSize),
                     "initialState has \(h0.count) elements, expected \(stateSize(batchSize: batchSize)) ([\(cell.stateParts), \(layerDirections), \(batchSize), \(hiddenSize)])")
        h0.withUnsafeBufferPointer { forward(input, batchSize: batchSize, state: $0.baseAddress!, dropout: dropout, lengths: lengths) }
    }

    /// `forward` from the `stateSize(batchSize:)` values at `state` (nil: zeros).
    func forward(_ input: SequenceInput, batchSize: Int, state: UnsafePointer<Float>?, dropout: DropoutNoise?,
                 lengths: [Int]? = nil) {
        let rows = input.rowCount
        let (T, B) = checkedShape(rows: rows, batchSize: batchSize, lengths: lengths)
        switch input {
        case .tokens(let t):
            inputIsTokens = true
            for (r, token) in t.enumerated() {
                precondition(token >= -1 && Int(token) < inputSize,
                             "token \(token) at row \(r) is outside 0..<\(inputSize) (or -1 for no input)")
            }
            tokens.removeAll(keepingCapacity: true)
            tokens.append(contentsOf: t)
        case .dense(let m):
            precondition(m.cols == inputSize, "dense input is [\(m.rows), \(m.cols)], expected [T*B, \(inputSize)]")
            inputIsTokens = false
            denseInput.copy(from: m.storage)
        }
        runLayers(T: T, B: B, initialState: state, dropout: dropout)
    }

    /// `forward` over dense input that `fill` writes straight into the stack's input
    /// buffer `[rows, inputSize]` (an embedding's gather: no copy of the input).
    func forward(denseRows rows: Int, batchSize: Int, initialState: UnsafePointer<Float>?, dropout: DropoutNoise?,
                 lengths: [Int]? = nil, fill: (UnsafeMutablePointer<Float>) -> Void) {
        let (T, B) = checkedShape(rows: rows, batchSize: batchSize, lengths: lengths)
        inputIsTokens = false
        denseInput.resize(rows * inputSize)
        fill(denseInput.pointer)
        runLayers(T: T, B: B, initialState: initialState, dropout: dropout)
    }

    /// `(T, B)` of an input of `rows` rows, recorded as the last forward's (with the
    /// reverse direction's row order for `lengths`, when bidirectional).
    private func checkedShape(rows: Int, batchSize: Int, lengths: [Int]?) -> (Int, Int) {
        precondition(batchSize > 0, "batchSize must be positive, got \(batchSize)")
        precondition(rows % batchSize == 0 && rows > 0,
                     "input has \(rows) rows, not a positive multiple of batch size \(batchSize)")
        self.batchSize = batchSize
        self.steps = rows / batchSize
        if let lengths { checkLengths(lengths) }
        bidirectional?.reverseRows(steps: steps, batchSize: batchSize, lengths: lengths)
        return (steps, batchSize)
    }

    /// The layers over the input already in place (`tokens` or `denseInput`).
    /// `initialState`: `stateSize(batchSize: B)` values, or nil for zeros.
    private func runLayers(T: Int, B: Int, initialState: UnsafePointer<Float>?, dropout: DropoutNoise?) {
        let H = hiddenSize, LD = layerDirections
        for k in 0..<LD {
            states[k].resize((T + 1) * B * H)
            outputGradients[k].resize(T * B * H)
            outputGradients[k].zero()
        }
        dropoutActive = numLayers > 1 && (dropout?.rate ?? 0) > 0
        if dropoutActive { for buffer in droppedInputs { buffer.resize(T * B * outputWidth) } }
        prepareCellBuffers(T: T, B: B)
        for p in 0..<cell.stateParts {
            for k in 0..<LD {
                let block = stateBuffer(part: p, layer: k).pointer
                if let h0 = initialState {
                    block.update(from: h0 + (p * LD + k) * B * H, count: B * H)
                } else {
                    block.update(repeating: 0, count: B * H)
                }
            }
        }
        if let bidirectional {
            return runBidirectionalLayers(bidirectional, T: T, B: B, dropout: dropout)
        }
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            tokens.withUnsafeBufferPointer { tok in
                for k in 0..<numLayers {
                    profiler.measure(.inputProjection) {
                        if k > 0 && dropoutActive {
                            layerDropouts[k - 1].forward(dropout!, steps: T, batchSize: B, width: H,
                                                         states[k - 1].pointer + B * H, into: droppedInputs[k - 1].pointer)
                        }
                        projectInputs(k, T: T, B: B, w: w, tokens: tok.baseAddress)
                    }
                    recurrenceForward(k, T: T, B: B, w: w)
                }
            }
        }
    }

    /// `A = X W_ihᵀ + b_ih (+ b_hh)` for all steps at once, into `projectionTarget(k)`
    /// (layer-direction `k`; `tokens` are the layer's input, in the direction's order).
    ///
    /// Token input: a table of `[V, G·H]` rows `W_ih[:, v] + bias` is made once (`V·G·H`
    /// strided reads), then each step's row is a contiguous copy of its token's row (a
    /// padding token, `-1`, gets the bias alone).
    func projectInputs(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, tokens: UnsafePointer<Int32>?) {
        let gH = gateWidth
        let target = projectionTarget(k)
        let bias = target + (T * B - 1) * gH   // the last row holds the bias until it is overwritten
        if hasBias {
            let bih = w + biasIH[k].offset, bhh = w + biasHH[k].offset
            for j in 0..<gH { bias[j] = hiddenBiasInProjection ? bih[j] + bhh[j] : bih[j] }
        } else {
            bias.update(repeating: 0, count: gH)
        }
        let wih = w + weightIH[k].offset
        if layer(k) == 0 && inputIsTokens {
            let table = tokenProjectionTable(k, bias: bias, wih: wih), tok = tokens!
            for r in 0..<(T * B) {
                let v = Int(tok[r])
                if v >= 0 { (target + r * gH).update(from: table + v * gH, count: gH) }
                else if r != T * B - 1 { (target + r * gH).update(from: bias, count: gH) }
            }
        } else {
            for r in 0..<(T * B - 1) { (target + r * gH).update(from: bias, count: gH) }
            projectDenseInputs(k, T: T, B: B, x: layerInput(k), w: w, into: target)
        }
    }

    /// `target[T*B, G·H] += x[T*B, I_k] W_ihᵀ` for layer `k`: one GEMM, split by rows across
    /// the `team`. A single step (a sampler's token) reads the prepared `W_ihᵀ` instead and
    /// splits as its recurrence does — each thread its units from its packed share, or its
    /// sequences — because a GEMM of few rows runs slower with a transposed operand
    /// (oneDNN, `[32, 256] x [256, 1024]`, one thread: 96–118 GFLOP/s against 143–157
    /// plain) and a single row is `RowProduct`'s.
    private func projectDenseInputs(_ k: Int, T: Int, B: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                    into target: UnsafeMutablePointer<Float>) {
        let I = layerInputSize(k), gH = gateWidth, wih = w + weightIH[k].offset, rows = T * B
        func gemm(_ r: Range<Int>) {
            guard !r.isEmpty else { return }
            BLAS.gemm(.none, .transposed, m: r.count, n: gH, k: I, a: x + r.lowerBound * I, lda: I, b: wih, ldb: I,
                      beta: 1, c: target + r.lowerBound * gH, ldc: gH)
        }
        if T == 1 {
            let weight = preparedWeight(transposedInputWeights(k, w: w), depth: I, packed: prepared.inputShares[k], batchSize: B)
            forEachStep(T: 1, B: B) { _, share in
                accumulateGateProducts(x, ldx: I, depth: I, weight, into: target, share: share)
            }
        } else if let team, team.size > 1 {
            team.run { rank in gemm(team.share(of: rows, rank: rank)) }
        } else {
            gemm(0..<rows)
        }
    }

    /// The input `[T*B, I_k]` layer-direction `k` saw in the last forward: the dense
    /// input, the layer below's outputs, or those outputs after dropout (a reverse
    /// direction: their rows in its reversed order).
    func layerInput(_ k: Int) -> UnsafePointer<Float> {
        if let bidirectional {
            if k % 2 == 1 { return UnsafePointer(bidirectional.reversedInputs[layer(k)].pointer) }
            if k == 0 { return UnsafePointer(denseInput.pointer) }
            return UnsafePointer(dropoutActive ? droppedInputs[layer(k) - 1].pointer : bidirectional.outputs[layer(k) - 1].pointer)
        }
        if k == 0 { return UnsafePointer(denseInput.pointer) }
        return UnsafePointer(dropoutActive ? droppedInputs[k - 1].pointer : states[k - 1].pointer + batchSize * hiddenSize)
    }

    // MARK: - Outputs and states

    /// The top layer's outputs `[T*B, D·H]` of the last `forward` (a copy).
    public var outputs: Matrix {
        Matrix(rows: steps * batchSize, cols: outputWidth, storage: withOutputs { Array($0) })
    }

    /// Calls `body` with the top layer's outputs `[T*B, D·H]`, without copying.
    public func withOutputs<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let bidirectional {
            return try body(UnsafeBufferPointer(start: bidirectional.outputs[numLayers - 1].pointer,
                                                count: steps * batchSize * outputWidth))
        }
        return try body(UnsafeBufferPointer(start: states[numLayers - 1].pointer + batchSize * hiddenSize,
                                            count: steps * batchSize * hiddenSize))
    }

    /// Calls `body` with d(loss)/d(top outputs) `[T*B, D·H]` (zeroed by `forward`) to fill
    /// or accumulate into before `backward`.
    public func withOutputGradient<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if let bidirectional { return try body(bidirectional.topOutputGradient.buffer) }
        return try body(outputGradients[numLayers - 1].buffer)
    }

    /// The row of the top layer's outputs `[T*B, D·H]` that holds direction `d`'s final
    /// `h` of sequence `b`, whose length is `length`: its last step for the forward
    /// direction, its first for the reverse one (which reads it last) — where a classifier
    /// reads `h_n[-2]` and `h_n[-1]` (columns `d·H ..< (d+1)·H` of that row).
    public func finalOutputRow(direction d: Int, sequence b: Int, length: Int) -> Int {
        (d == 0 ? length - 1 : 0) * batchSize + b
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
                    let src = stateBuffer(part: p, layer: k).pointer
                    for b in 0..<B {
                        let t = lengths?[b] ?? T                  // row block t holds the state after step t-1
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
                (out + (p * L + k) * B * H).update(from: stateBuffer(part: p, layer: k).pointer + T * B * H, count: B * H)
            }
        }
    }

    /// `lengths`, or in a bidirectional stack the lengths its last forward reversed its
    /// sequences by (which any lengths given must equal: its reverse direction's final
    /// state and gradient rows are those of the forward's order).
    func lengthsOfTheForward(_ lengths: [Int]?) -> [Int]? {
        guard let bidirectional else { return lengths }
        let forward = bidirectional.givenLengths
        if let lengths {
            precondition(lengths.count == batchSize && lengths.indices.allSatisfy { lengths[$0] == (forward?[$0] ?? steps) },
                         "a bidirectional stack's final state and backward take the lengths its forward was given, \(forward.map { "\($0)" } ?? "none (all \(steps) steps)"), not \(lengths)")
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
