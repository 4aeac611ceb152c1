import Linalg

/// The forward of a stack: layer by layer, each layer-direction's input projections for
/// all steps at once, then its cell walked over the steps.
extension RecurrentStack {
    /// Sizes the workspace for `(T, B)`, lets `fill` write a dense input into it (token
    /// ids are in `tokens` already), sets the initial states, and runs the layers.
    /// `initialState`: `stateSize(batchSize: B)` values, or nil for zeros.
    func runLayers(
        T: Int, B: Int, initialState: UnsafePointer<Float>?, dropout: DropoutNoise?,
        fill: (UnsafeMutablePointer<Float>) -> Void = { _ in }
    ) {
        let H = hiddenSize, LD = layerDirections
        dropoutActive = numLayers > 1 && (dropout?.rate ?? 0) > 0
        products.reserve(threads: team?.size ?? 1)
        workspace.prepareForward(workspaceLayout(T: T, B: B))
        workspace.keepsRoundedStates = precision == .bf16 && (team?.size ?? 1) == 1
        fill(workspace.denseInput.pointer)
        for p in 0..<cell.stateParts {
            for k in 0..<LD {
                let block = workspace.directions[k].states[p].pointer
                if let h0 = initialState {
                    block.update(from: h0 + (p * LD + k) * B * H, count: B * H)
                } else {
                    block.update(repeating: 0, count: B * H)
                }
            }
        }
        if let reverseOrder {
            return runBidirectionalLayers(reverseOrder, T: T, B: B, dropout: dropout)
        }
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            tokens.withUnsafeBufferPointer { tok in
                for k in 0..<numLayers {
                    profiler.measure(.inputProjection) {
                        if k > 0 && dropoutActive {
                            workspace.layerDropouts[k - 1].forward(
                                dropout!, steps: T, batchSize: B, width: H,
                                workspace.directions[k - 1].states[0].pointer + B * H,
                                into: workspace.droppedInputs[k - 1].pointer)
                        }
                        projectInputs(k, T: T, B: B, w: w, tokens: tok.baseAddress)
                    }
                    walkForward(k, T: T, B: B, w: w)
                }
            }
        }
    }

    /// Layer-direction `k`'s cell over its `T` steps, its input projections in place: the
    /// team's split of each step (`StepSchedule`), the cell's step on each share.
    /// - Complexity: `O(T·B·G·H²)`.
    func walkForward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>) {
        let activations = workspace.directions[k], schedule = plan.schedule, H = hiddenSize
        let roundedStates = workspace.keepsRoundedStates ? workspace.roundedStates[k] : nil
        roundedStates?.prepare(rows: (T + 1) * B, cols: H)
        let pass = ForwardPass(
            batchSize: B, hidden: hiddenSize, activations: ActivationPointers(activations),
            stepScratch: workspace.stepScratch.count > 0 ? workspace.stepScratch.pointer : nil,
            hiddenBias: hasBias ? w + biasHH[k].offset : nil,
            recurrentWeight: plan.recurrentWeight(
                k, w + weightHH[k].offset, version: parameters.version, batchSize: B, precision: precision,
                profiler: profiler),
            schedule: schedule, profiler: schedule.stepProfiler(profiler), products: products,
            roundedStates: roundedStates)
        Self.walk(kernel, T: T, B: B, pass)
        // The steps rounded the blocks they read; the last state is read by the layer above.
        roundedStates?.round(activations.states[0].pointer + T * B * H, ld: H, rows: B, at: T * B)
    }

    /// The steps of a forward pass with the cell's type known (the existential opened
    /// once per walk, not once per step).
    private static func walk<Cell: CellKernel>(_ cell: Cell, T: Int, B: Int, _ pass: ForwardPass) {
        pass.schedule.forEachStep(T: T, B: B) { t, share in cell.forwardStep(t, share, pass) }
    }

    /// `A = X W_ihᵀ + b_ih (+ b_hh)` for all steps at once, into `projectionTarget(k)`
    /// (layer-direction `k`; `tokens` are the layer's input, in the direction's order).
    ///
    /// Token input: a table of `[V, G·H]` rows `W_ih[:, v] + bias` is made once (`V·G·H`
    /// strided reads), then each step's row is a contiguous copy of its token's row (a
    /// padding token, `-1`, gets the bias alone).
    func projectInputs(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, tokens: UnsafePointer<Int32>?) {
        let gH = gateWidth
        let target = kernel.projectionTarget(workspace.directions[k], batchSize: B, hidden: hiddenSize)
        let bias = target + (T * B - 1) * gH  // the last row holds the bias until it is overwritten
        if hasBias {
            let bih = w + biasIH[k].offset, bhh = w + biasHH[k].offset
            if kernel.hiddenBiasInProjection { for j in 0..<gH { bias[j] = bih[j] + bhh[j] } } else { bias.update(from: bih, count: gH) }
        } else {
            bias.update(repeating: 0, count: gH)
        }
        let wih = w + weightIH[k].offset
        if readsTokens(k) {
            let table = plan.tokenProjectionTable(
                direction: k % directions, vocabulary: inputSize, bias: bias, wih: wih,
                version: parameters.version)
            let tok = tokens!
            for r in 0..<(T * B) {
                let v = Int(tok[r])
                if v >= 0 {
                    (target + r * gH).update(from: table + v * gH, count: gH)
                } else if r != T * B - 1 {
                    (target + r * gH).update(from: bias, count: gH)
                }
            }
        } else {
            for r in 0..<(T * B - 1) { (target + r * gH).update(from: bias, count: gH) }
            projectDenseInputs(k, T: T, B: B, x: layerInput(k), w: w, into: target)
        }
    }

    // Measured with oneDNN, `[32, 256] x [256, 1024]` on one thread: 96–118 GFLOP/s with
    // the transposed operand against 143–157 plain.
    /// `target[T*B, G·H] += x[T*B, I_k] W_ihᵀ` for layer `k`: one GEMM, split by rows across
    /// the `team`. A single step (a sampler's token) reads the prepared `W_ihᵀ` instead and
    /// splits as its recurrence does — each thread its units from its packed share, or its
    /// sequences — because a GEMM of few rows runs slower with a transposed operand, and a
    /// single row is `RowProduct`'s.
    private func projectDenseInputs(
        _ k: Int, T: Int, B: Int, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
        into target: UnsafeMutablePointer<Float>
    ) {
        let I = layerInputSize(k), gH = gateWidth, wih = w + weightIH[k].offset, rows = T * B
        func gemm(_ r: Range<Int>, thread: Int) {
            guard !r.isEmpty else { return }
            products[thread].gemm(
                .none, .transposed, m: r.count, n: gH, k: I, a: x + r.lowerBound * I, lda: I,
                layerInputOperand(k).advanced(by: r.lowerBound), b: wih, ldb: I,
                .weight(version: parameters.version), beta: 1, c: target + r.lowerBound * gH, ldc: gH)
        }
        if T == 1 {
            let weight = plan.inputWeight(
                k, wih, inputSize: I, version: parameters.version, batchSize: B, precision: precision)
            let schedule = plan.schedule
            schedule.forEachStep(T: 1, B: B) { _, share in
                schedule.accumulateGateProducts(
                    x, ldx: I, depth: I, weight, into: target, share: share, products: products[share.thread],
                    xOperand: layerInputOperand(k))
            }
        } else if let team, team.size > 1 {
            team.run { rank in gemm(team.share(of: rows, rank: rank), thread: rank) }
        } else {
            gemm(0..<rows, thread: 0)
        }
    }

    /// What the products read for `layerInput(k)`: in bf16 on one thread, for a layer
    /// above the first of one direction without dropout, the layer below's rounded states
    /// (rows `1...T` of them); otherwise the activation, rounded at each product.
    func layerInputOperand(_ k: Int) -> PrecisionGEMM.Operand {
        k > 0 && !dropoutActive ? outputsOperand(ofLayer: k - 1) : .activation
    }

    /// What the products read for layer `k`'s outputs `[T*B, H]` (rows `1...T` of its
    /// states): in bf16 on one thread, for one direction, the bits its forward rounded.
    func outputsOperand(ofLayer k: Int) -> PrecisionGEMM.Operand {
        guard workspace.keepsRoundedStates, !isBidirectional else { return .activation }
        return .rounded(workspace.roundedStates[k], row: batchSize)
    }

    /// Whether layer-direction `k` reads the token ids (the first layer of a stack over
    /// tokens): its input projection is a gather, its `dW_ih` a scatter.
    func readsTokens(_ k: Int) -> Bool { layer(k) == 0 && inputIsTokens }

    /// What the products read for layer-direction `k`'s states `[(T+1)*B, H]` (row 0 the
    /// initial state): in bf16 on one thread the bits its forward rounded.
    func statesOperand(_ k: Int) -> PrecisionGEMM.Operand {
        workspace.keepsRoundedStates ? .rounded(workspace.roundedStates[k], row: 0) : .activation
    }

    /// The input `[T*B, I_k]` layer-direction `k` saw in the last forward: the dense
    /// input, the layer below's outputs, or those outputs after dropout (a reverse
    /// direction: their rows in its reversed order).
    func layerInput(_ k: Int) -> UnsafePointer<Float> {
        let below = layer(k) - 1
        if isBidirectional {
            if k % 2 == 1 { return UnsafePointer(workspace.reversedInputs[layer(k)].pointer) }
            if k == 0 { return UnsafePointer(workspace.denseInput.pointer) }
            return UnsafePointer(dropoutActive ? workspace.droppedInputs[below].pointer : workspace.joinedOutputs[below].pointer)
        }
        if k == 0 { return UnsafePointer(workspace.denseInput.pointer) }
        return UnsafePointer(
            dropoutActive
                ? workspace.droppedInputs[below].pointer
                : workspace.directions[below].states[0].pointer + batchSize * hiddenSize)
    }
}
