import Linalg

/// The size of every buffer of a `RecurrentWorkspace` for one shape of batch: the one
/// place those sizes are written. The workspace resizes its buffers to these numbers and
/// nothing else, and the memory estimate (`RecurrentConfiguration.trainingWorkspaceFloats`)
/// is their sum, so the two cannot drift apart (a test holds the sum to what the buffers
/// hold after a training step).
///
/// Sizes are in floats. `U = L·D` layer-directions, `rows = T·B`, `W = D·H` (a layer's
/// output width), `I` the stack's input width (a vocabulary for tokens).
struct WorkspaceLayout: Equatable {
    let configuration: RecurrentConfiguration
    let cell: CellBuffers
    let inputSize: Int
    let tokenInput: Bool
    let steps: Int
    let batchSize: Int
    /// Whether the step drops the inputs of layers above the first.
    let dropout: Bool
    let bias: Bool
    /// The products' precision: bf16 adds the activations' bits rounded once.
    let precision: Precision

    /// The layout for a stack of `configuration` whose cell needs `cell` (by default what
    /// the configuration's cell kernel says).
    init(
        _ configuration: RecurrentConfiguration, cell: CellBuffers? = nil, inputSize: Int, tokenInput: Bool, steps: Int,
        batchSize: Int, dropout: Bool, bias: Bool, precision: Precision = .fp32
    ) {
        self.configuration = configuration
        self.cell = cell ?? configuration.cell.kernel(nonlinearity: configuration.nonlinearity).buffers
        (self.inputSize, self.tokenInput, self.steps, self.batchSize) = (inputSize, tokenInput, steps, batchSize)
        self.dropout = dropout && configuration.numLayers > 1
        self.bias = bias
        self.precision = precision
    }

    private var H: Int { configuration.hiddenSize }
    private var L: Int { configuration.numLayers }
    private var D: Int { configuration.directions }
    private var G: Int { configuration.cell.gateCount }
    private var rows: Int { steps * batchSize }
    private var W: Int { D * H }
    /// The input width of layer `k`.
    func layerInputSize(_ k: Int) -> Int { k == 0 ? inputSize : W }
    /// Whether layer `k` reads dense rows (not token ids).
    private func readsDense(_ k: Int) -> Bool { k > 0 || !tokenInput }

    // MARK: Forward: per layer-direction

    /// Each state part `[(T+1)*B, H]`: the initial state, then the state after each step.
    var statePart: Int { (steps + 1) * batchSize * H }
    /// d(loss)/d(h) `[T*B, H]` (zeroed by each forward; the carry accumulates into it).
    var outputGradient: Int { rows * H }
    /// The activated gates `[T*B, G·H]`, for cells that keep them.
    var gates: Int { rows * cell.gateBlocks * H }
    /// What else the cell keeps per step, `[T*B, H]`.
    var auxiliary: Int { cell.keepsAuxiliary ? rows * H : 0 }

    // MARK: Forward: the stack

    /// The dense input `[T*B, I]`.
    var denseInput: Int { tokenInput ? 0 : rows * inputSize }
    /// The cell's step scratch `[B, ·H]`.
    var stepScratch: Int { batchSize * cell.stepScratchBlocks * H }
    /// Per layer above the first: its dropped input `[T*B, W]`, and the mask of it.
    var droppedInput: Int { dropout ? rows * W : 0 }
    var dropoutMask: Int { droppedInput }
    /// Bidirectional: per layer, the two directions' outputs joined `[T*B, 2H]`.
    var joinedOutput: Int { D == 2 ? rows * W : 0 }
    /// Bidirectional: layer `k`'s input in the reverse direction's row order (dense layers).
    func reversedInput(layer k: Int) -> Int { D == 2 && readsDense(k) ? rows * layerInputSize(k) : 0 }
    /// Bidirectional: d(loss)/d(the top layer's joined outputs) `[T*B, 2H]`.
    var topOutputGradient: Int { joinedOutput }

    // MARK: Backward

    /// d(loss)/d(initial state) `[parts, L·D, B, H]`.
    var initialStateGradient: Int { configuration.cell.stateParts * L * D * batchSize * H }
    /// d(loss)/d(dense input) `[T*B, I]`.
    var inputGradient: Int { denseInput }
    /// Token input: `dW_ih`'s rows gathered per token, transposed `[V, G·H]`.
    var tokenWeightGradient: Int { tokenInput ? inputSize * G * H : 0 }
    /// `[G·H]` column sums of the gate gradients: shared by both bias gradients (cells
    /// with one gate gradient), or the input side's then the hidden side's.
    var biasGradientSums: Int { bias ? (cell.separateHiddenSide ? 2 : 1) * G * H : 0 }
    /// One direction, dropout: d(loss)/d(a dropped input) before its mask `[T*B, H]`.
    var droppedInputGradient: Int { dropout && D == 1 ? rows * H : 0 }
    /// The cell's gate gradients `[T*B, ·H]`, the hidden side's when separate, and the
    /// carried cell-state gradient `[B, H]`.
    var gateGradient: Int { rows * cell.gateGradientBlocks * H }
    var hiddenSideGradient: Int { cell.separateHiddenSide ? gateGradient : 0 }
    var cellGradient: Int { cell.carriesCellGradient ? batchSize * H : 0 }
    /// Bidirectional: the reverse direction's d(loss)/d(its input) in its row order (the
    /// widest dense layer's), and above layer 0 both directions' summed `[T*B, 2H]`.
    var reverseInputGradient: Int {
        guard D == 2 else { return 0 }
        let widest = L > 1 ? max(W, tokenInput ? 0 : inputSize) : (tokenInput ? 0 : inputSize)  // dense layers' inputs
        return rows * widest
    }
    var layerInputGradient: Int { D == 2 && L > 1 ? rows * W : 0 }

    // MARK: bf16: the activations' bits rounded once (`RoundedActivation`)

    /// `n` bf16 values in floats.
    private static func floats(halves n: Int) -> Int { (n + 1) / 2 }
    private var bf16: Bool { precision == .bf16 }
    /// Per layer-direction, the states' bits `[(T+1)*B, H]` (a forward on one thread).
    var roundedStates: Int { bf16 ? Self.floats(halves: statePart) : 0 }
    /// The hidden side's gate gradients' bits `[T*B, G·H]`.
    var roundedHiddenSide: Int { bf16 ? Self.floats(halves: rows * G * H) : 0 }
    /// A separate input side's `[T*B, G·H]`, when some layer's input is dense.
    var roundedInputSide: Int { bf16 && cell.separateHiddenSide && (L > 1 || !tokenInput) ? roundedHiddenSide : 0 }

    // MARK: Sums

    /// Everything a forward sizes.
    var forwardFloats: Int {
        let U = L * D
        let perDirection = configuration.cell.stateParts * statePart + outputGradient + gates + auxiliary
        let reversed = (0..<L).reduce(0) { $0 + reversedInput(layer: $1) }
        return U * perDirection + denseInput + stepScratch + (L - 1) * (droppedInput + dropoutMask)
            + L * joinedOutput + reversed + topOutputGradient
    }

    /// Everything a backward sizes besides.
    var backwardFloats: Int {
        initialStateGradient + inputGradient + tokenWeightGradient + biasGradientSums + droppedInputGradient + gateGradient
            + hiddenSideGradient + cellGradient + reverseInputGradient + layerInputGradient
    }

    /// The rounded bits a bf16 step keeps besides.
    var roundedFloats: Int { L * D * roundedStates + roundedHiddenSide + roundedInputSide }

    /// A training step's floats: `forwardFloats + backwardFloats + roundedFloats`.
    var totalFloats: Int { forwardFloats + backwardFloats + roundedFloats }
}
