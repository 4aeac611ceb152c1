/// Everything a `RecurrentStack` allocates for training, for the last `(T, B)` it ran:
/// the activations a forward keeps for its backward (`directions`, the bidirectional
/// joins, the dropout masks), the input, and the backward's scratch. Every buffer is sized
/// by `prepareForward`/`prepareBackward` from a `WorkspaceLayout` and by nothing else, so
/// `heldFloats` is the layout's sum (the memory estimate) after a training step.
///
/// Buffers grow and never shrink (`FloatBuffer`): a loop over one shape allocates on its
/// first step only. The prepared weights a forward reads live apart, in the stack's
/// `InferencePlan`.
final class RecurrentWorkspace {
    /// Per layer-direction `k·D + d`.
    let directions: [DirectionActivations]
    /// `[T*B, I]`: the dense input of the last forward (an embedding gathers into it).
    let denseInput = FloatBuffer()
    /// The cell's forward scratch, and its backward's (gate gradients, the hidden side's
    /// when separate, the carried `dc`).
    let stepScratch = FloatBuffer()
    let gateGradient = FloatBuffer()
    let hiddenSideGradient = FloatBuffer()
    let cellGradient = FloatBuffer()
    /// In bf16, the gate gradients' bits (the hidden side's, rounded step by step for the
    /// recurrence; a separate input side's, rounded after the walk), read by the weight
    /// gradients' products: `[T*B, G·H]` bf16 values each. These and `roundedStates` are
    /// sized by the walks that round them, to the layout's `rounded…` sizes.
    let roundedHiddenSide = RoundedActivation()
    let roundedInputSide = RoundedActivation()
    /// In bf16 on one thread (`keepsRoundedStates`, set by each forward), per
    /// layer-direction the states' bits `[(T+1)*B, H]`, rounded once by the forward's
    /// steps and read by the layer above's input products and the weight gradients.
    let roundedStates: [RoundedActivation]
    var keepsRoundedStates = false
    /// Backward results and scratch of the stack (`WorkspaceLayout` says what each holds).
    let initialStateGradient = FloatBuffer()
    let inputGradient = FloatBuffer()
    let tokenWeightGradient = FloatBuffer()
    let biasGradientSums = FloatBuffer()
    let droppedInputGradient = FloatBuffer()
    /// Dropout between layers (as `nn.LSTM(dropout:)`): per layer `k ≥ 1`, the mask on its
    /// input (site `k`) and the dropped input `[T*B, D·H]` itself (index `k - 1`).
    let layerDropouts: [DropoutSite]
    let droppedInputs: [FloatBuffer]
    /// Bidirectional: per layer, the joined outputs `[T*B, 2H]` (PyTorch's `output`) and
    /// the input in the reverse direction's row order; d(loss)/d(the top joined outputs);
    /// the backward's reverse-direction `dX` and per-layer summed `dX`.
    let joinedOutputs: [FloatBuffer]
    let reversedInputs: [FloatBuffer]
    let topOutputGradient = FloatBuffer()
    let reverseInputGradient = FloatBuffer()
    let layerInputGradient = FloatBuffer()

    /// The layouts the buffers were last sized for (a loop over one shape skips the sizing).
    private var forwardLayout: WorkspaceLayout?
    private var backwardLayout: WorkspaceLayout?

    init(layers: Int, directions: Int, stateParts: Int) {
        self.directions = (0..<(layers * directions)).map { _ in DirectionActivations(stateParts: stateParts) }
        roundedStates = (0..<(layers * directions)).map { _ in RoundedActivation() }
        layerDropouts = (1..<max(layers, 1)).map { DropoutSite(site: $0) }
        droppedInputs = (1..<max(layers, 1)).map { _ in FloatBuffer() }
        joinedOutputs = (0..<(directions == 2 ? layers : 0)).map { _ in FloatBuffer() }
        reversedInputs = (0..<(directions == 2 ? layers : 0)).map { _ in FloatBuffer() }
    }

    /// Sizes what a forward of `layout`'s shape writes (the input's buffer too; the token
    /// ids are the stack's), and marks the output gradients for zeroing before they are
    /// next used (`clearOutputGradients`). Dropout masks are sized as they are drawn.
    /// - Complexity: O(1); allocates only when a buffer grows.
    func prepareForward(_ layout: WorkspaceLayout) {
        defer { outputGradientsStale = true }
        guard layout != forwardLayout else { return }
        forwardLayout = layout
        for direction in directions {
            for part in direction.states { part.resize(layout.statePart) }
            direction.gates.resize(layout.gates)
            direction.auxiliary.resize(layout.auxiliary)
            direction.outputGradient.resize(layout.outputGradient)
        }
        denseInput.resize(layout.denseInput)
        stepScratch.resize(layout.stepScratch)
        if layout.dropout { for buffer in droppedInputs { buffer.resize(layout.droppedInput) } }
        for (k, buffer) in joinedOutputs.enumerated() {
            buffer.resize(layout.joinedOutput)
            reversedInputs[k].resize(layout.reversedInput(layer: k))
        }
        topOutputGradient.resize(layout.topOutputGradient)
    }

    /// Whether the output gradients still hold what was there before the last forward.
    private var outputGradientsStale = false

    /// Zeroes the output gradients once after each forward, before the caller fills or
    /// accumulates into them or `backward` reads them: a forward that no backward follows
    /// (inference, an encoder's pass at decoding) never pays for it.
    /// - Complexity: O(U·T·B·H) the first time after a forward, O(1) after.
    func clearOutputGradients() {
        guard outputGradientsStale else { return }
        for direction in directions { direction.outputGradient.zero() }
        topOutputGradient.zero()
        outputGradientsStale = false
    }

    /// Sizes the backward's results and scratch for `layout`'s shape.
    func prepareBackward(_ layout: WorkspaceLayout) {
        guard layout != backwardLayout else { return }
        backwardLayout = layout
        initialStateGradient.resize(layout.initialStateGradient)
        inputGradient.resize(layout.inputGradient)
        tokenWeightGradient.resize(layout.tokenWeightGradient)
        biasGradientSums.resize(layout.biasGradientSums)
        droppedInputGradient.resize(layout.droppedInputGradient)
        gateGradient.resize(layout.gateGradient)
        hiddenSideGradient.resize(layout.hiddenSideGradient)
        cellGradient.resize(layout.cellGradient)
        reverseInputGradient.resize(layout.reverseInputGradient)
        layerInputGradient.resize(layout.layerInputGradient)
    }

    /// The floats every buffer holds now.
    var heldFloats: Int {
        let buffers =
            droppedInputs + joinedOutputs + reversedInputs
            + [
                denseInput, stepScratch, gateGradient, hiddenSideGradient, cellGradient, initialStateGradient, inputGradient,
                tokenWeightGradient, biasGradientSums, droppedInputGradient, topOutputGradient, reverseInputGradient,
                layerInputGradient,
            ]
        return directions.reduce(0) { $0 + $1.heldFloats } + buffers.reduce(0) { $0 + $1.heldFloats }
            + layerDropouts.reduce(0) { $0 + $1.heldFloats }
            + (roundedStates + [roundedHiddenSide, roundedInputSide]).reduce(0) { $0 + $1.heldFloats }
    }
}
