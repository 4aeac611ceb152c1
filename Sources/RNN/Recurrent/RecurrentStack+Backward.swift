import Linalg

extension RecurrentStack {
    /// Backpropagation through time for the last `forward`, for the whole stack.
    ///
    /// Reads d(loss)/d(top outputs) from `withOutputGradient` and **accumulates**
    /// d(loss)/d(parameters) into `parameters.gradients`. Afterwards
    /// `initialStateGradient` holds d(loss)/d(initialState) and, for dense input,
    /// `inputGradient` holds d(loss)/d(input).
    ///
    /// - Parameters:
    ///   - finalStateGradient: d(loss)/d(`finalState(lengths:)`), `stateSize` values, or nil.
    ///   - lengths: the same per-sequence lengths given to `finalState(lengths:)`.
    /// - Complexity: `O(T·B·G·H·(I + H·L))`: per layer `T` GEMMs `[B,G·H]x[G·H,H]` for the
    ///   recurrence, then `dW_hh = dAᵀ H_prev` and `dW_ih = dAᵀ X` as single GEMMs with
    ///   `K = T*B`, and `dX = dA W_ih` for the layer below.
    public func backward(finalStateGradient: [Float]? = nil, lengths: [Int]? = nil) {
        let B = batchSize, T = steps, H = hiddenSize
        precondition(T > 0, "backward called before forward")
        workspace.clearOutputGradients()  // a caller that wrote none has zeros
        if let lengths { checkLengths(lengths) }
        let lengths = lengthsOfTheForward(lengths)
        if let g = finalStateGradient {
            precondition(
                g.count == stateSize(batchSize: B),
                "finalStateGradient has \(g.count) elements, expected \(stateSize(batchSize: B))")
            // The h part joins the output gradient at each sequence's last step.
            g.withUnsafeBufferPointer { src in
                for k in 0..<layerDirections {
                    let d = workspace.directions[k].outputGradient.pointer
                    for b in 0..<B {
                        let t = (lengths?[b] ?? T) - 1
                        let row = d + (t * B + b) * H, s = src.baseAddress! + (k * B + b) * H
                        for j in 0..<H { row[j] += s[j] }
                    }
                }
            }
        }
        let finalState = finalStateGradient.map { FinalStateGradient(values: $0, lengths: lengths) }
        workspace.prepareBackward(workspaceLayout(T: T, B: B))
        if let reverseOrder { return backwardBidirectional(reverseOrder, finalState: finalState) }
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                tokens.withUnsafeBufferPointer { tok in
                    for k in (0..<numLayers).reversed() {
                        let gradients = walkBackward(
                            k, T: T, B: B, w: values.baseAddress!, finalState: finalState, tokens: tok.baseAddress)
                        profiler.measure(.weightGradients) {
                            weightGradients(
                                k, T: T, B: B, w: values.baseAddress!, g: grads.baseAddress!, gradients,
                                tokens: tok.baseAddress)
                        }
                    }
                }
            }
        }
    }

    /// Layer-direction `k`'s cell walked back over its `T` steps: per step from the last,
    /// the observer's look at d(loss)/d(h_t), the cell's step to the gate gradients, and
    /// the carry `dA_t W_hh` into d(loss)/d(h_{t-1}) (at step 0, the initial state's).
    /// Reads the layer-direction's output gradient (the `h` part of a final-state gradient
    /// already added) and, over token input, its `tokens` (in its order); returns the gate
    /// gradients, in bf16 with their bits rounded once for the products that read them.
    /// - Complexity: `O(T·B·G·H²)`: `T` GEMMs `[B, G·H] x [G·H, H]`.
    func walkBackward(
        _ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, finalState: FinalStateGradient?,
        tokens: UnsafePointer<Int32>?
    ) -> GateGradients {
        let H = hiddenSize, gH = gateWidth, activations = workspace.directions[k], needs = cellBuffers
        let d = activations.outputGradient.pointer
        let inputSide = needs.gateGradientBlocks > 0 ? workspace.gateGradient.pointer : d
        let hiddenSide = needs.separateHiddenSide ? workspace.hiddenSideGradient.pointer : inputSide
        let ldh = needs.gateGradientBlocks > 0 ? gH : H
        let rounded = gemms.precision == .bf16 ? workspace.roundedHiddenSide : nil
        rounded?.prepare(rows: T * B, cols: gH)
        let forms =
            kernel.makesGateGradientForms
            ? gateGradientForms(k, rows: T * B, rounded: rounded, tokens: tokens) : GateGradientForms()
        let pass = BackwardPass(
            steps: T, batchSize: B, hidden: H, activations: ActivationPointers(activations),
            outputGradient: d, inputSideGradient: inputSide, hiddenSideGradient: hiddenSide,
            cellGradient: workspace.cellGradient.count > 0 ? workspace.cellGradient.pointer : nil,
            initialStateGradients: workspace.initialStateGradient.pointer, finalState: finalState, forms: forms,
            layerDirection: k, layerDirections: layerDirections, profiler: profiler)
        walkBackward(
            kernel, k, pass, recurrentWeight: w + weightHH[k].offset, hiddenSide: hiddenSide, ldh: ldh,
            rounded: rounded, roundsSteps: forms.bits == nil, addsToPrevious: needs.addsToPreviousStateGradient)
        guard gemms.precision == .bf16 else {
            return GateGradients(
                inputSide: inputSide, hiddenSide: hiddenSide, inputOperand: .activation, hiddenOperand: .activation,
                forms: forms)
        }
        // The walk rounded the hidden side step by step; a separate input side is rounded
        // here, once for its two products (none over token input: dW_ih is a scatter),
        // unless the cell's steps made its bits too.
        let hiddenOperand = PrecisionGEMM.Operand.rounded(workspace.roundedHiddenSide, row: 0)
        guard inputSide != hiddenSide, !readsTokens(k) else {
            return GateGradients(
                inputSide: inputSide, hiddenSide: hiddenSide,
                inputOperand: inputSide == hiddenSide ? hiddenOperand : .activation, hiddenOperand: hiddenOperand,
                forms: forms)
        }
        let roundedInput = workspace.roundedInputSide
        if forms.inputBits == nil {
            profiler.measure(.weightGradients) {
                roundedInput.prepare(rows: T * B, cols: gH)
                roundedInput.round(inputSide, ld: gH, rows: T * B, at: 0)
            }
        }
        return GateGradients(
            inputSide: inputSide, hiddenSide: hiddenSide, inputOperand: .rounded(roundedInput, row: 0),
            hiddenOperand: hiddenOperand, forms: forms)
    }

    /// What the walk of layer-direction `k` (`rows` = T·B) asks of a cell that makes its
    /// gate gradients' forms: in bf16 (`rounded`, the hidden side's copy, prepared) the
    /// bits (the hidden side's, and a separate input side's unless the layer reads
    /// tokens), the floats only where products round their own operands or run in fp32,
    /// the bias sums (zeroed) with biases, and over tokens the token table (zeroed).
    private func gateGradientForms(
        _ k: Int, rows: Int, rounded: RoundedActivation?, tokens: UnsafePointer<Int32>?
    ) -> GateGradientForms {
        let gH = gateWidth, separate = cellBuffers.separateHiddenSide
        var forms = GateGradientForms(madeBySteps: true)
        forms.floats = rounded == nil || !readsRoundedCopies
        if let rounded {
            forms.bits = rounded.writableBits(from: 0, rows: rows)
            if separate && !readsTokens(k) {
                workspace.roundedInputSide.prepare(rows: rows, cols: gH)
                forms.inputBits = workspace.roundedInputSide.writableBits(from: 0, rows: rows)
            }
        }
        if hasBias {
            workspace.biasGradientSums.zero()
            forms.sums = workspace.biasGradientSums.pointer
            if separate { forms.hiddenSums = workspace.biasGradientSums.pointer + gH }
        }
        if readsTokens(k) {
            workspace.tokenWeightGradient.zero()
            (forms.tokens, forms.tokenTable) = (tokens!, workspace.tokenWeightGradient.pointer)
        }
        return forms
    }

    /// The steps of a backward pass with the cell's type known (the existential opened
    /// once per walk, not once per step). In bf16 the carry products read `rounded`, which
    /// the walk fills step by step when `roundsSteps` (else the cell's steps do).
    private func walkBackward<Cell: CellKernel>(
        _ cell: Cell, _ k: Int, _ pass: BackwardPass, recurrentWeight whh: UnsafePointer<Float>,
        hiddenSide: UnsafeMutablePointer<Float>, ldh: Int, rounded: RoundedActivation?, roundsSteps: Bool,
        addsToPrevious: Bool
    ) {
        let (T, B, H) = (pass.steps, pass.batchSize, pass.hidden), gH = gateWidth, d = pass.outputGradient
        let dh0 = pass.initialStateGradient(0)
        for t in (0..<T).reversed() {
            observeStateGradient(k, t, d + t * B * H)
            let previous = t > 0 ? d + (t - 1) * B * H : dh0
            cell.backwardStep(t, pass, previous: previous)
            profiler.measure(.backwardRecurrence) {
                if roundsSteps { rounded?.round(hiddenSide + t * B * ldh, ld: ldh, rows: B, at: t * B) }
                gemms.gemm(
                    .none, .none, m: B, n: H, k: gH, a: hiddenSide + t * B * ldh, lda: ldh,
                    rounded.map { .rounded($0, row: t * B) } ?? .activation,
                    b: whh, ldb: H, .weight(version: parameters.version),
                    beta: t > 0 || addsToPrevious ? 1 : 0, c: previous, ldc: H)
            }
        }
        cell.finishBackward(pass)
    }

    /// Reports `block` (layer-direction `k`'s d(loss)/d(h_t)) to the observer, if one is set.
    @inline(__always)
    func observeStateGradient(_ k: Int, _ t: Int, _ block: UnsafeMutablePointer<Float>) {
        if let observer = stateGradientObserver { observer(k, t, UnsafePointer(block)) }
    }

    /// Whole-sequence gradients of layer `k` from its walk's gate `gradients`: `dW_hh`,
    /// biases, `dW_ih`, and `dX`. (A bidirectional stack joins the two directions' `dX`
    /// itself: `backwardBidirectional`.)
    func weightGradients(
        _ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>, _ gradients: GateGradients,
        tokens: UnsafePointer<Int32>?
    ) {
        let H = hiddenSize, I = layerInputSize(k), gH = gateWidth
        let (inputSide, hiddenSide) = (gradients.inputSide, gradients.hiddenSide)
        let previousStates = workspace.directions[k].states[0].pointer
        gemms.gemm(
            .transposed, .none, m: gH, n: H, k: T * B, a: hiddenSide, lda: gH, gradients.hiddenOperand,
            b: previousStates, ldb: H, statesOperand(k), beta: 1, c: g + weightHH[k].offset, ldc: H)
        let tokenInput = readsTokens(k)
        let wih = w + weightIH[k].offset
        let gwih = g + weightIH[k].offset
        // The biases' gradients from the column sums (one for both biases of a cell with
        // one gate gradient) and, over tokens, dW_ih from its table: made by the walk's
        // steps, or here for a cell that leaves them.
        if !gradients.forms.madeBySteps { sumAndGatherGateGradients(k, rows: T * B, gradients, tokens: tokens) }
        if hasBias {
            let sums = workspace.biasGradientSums.pointer
            BLAS.axpy(count: gH, alpha: 1, x: sums, y: g + biasIH[k].offset)
            BLAS.axpy(count: gH, alpha: 1, x: cellBuffers.separateHiddenSide ? sums + gH : sums, y: g + biasHH[k].offset)
        }
        if tokenInput {
            addTokenTable(width: gH, vocabulary: I, into: gwih)
            return
        }
        let x = layerInput(k)
        gemms.gemm(
            .transposed, .none, m: gH, n: I, k: T * B, a: inputSide, lda: gH, gradients.inputOperand, b: x, ldb: I,
            layerInputOperand(k), beta: 1, c: gwih, ldc: I)
        if isBidirectional { return }
        // dX = dA W_ih: into the layer below's output gradient (through the dropout mask
        // when there was one), or the input gradient.
        if k > 0 && dropoutActive {
            let dropped = workspace.droppedInputGradient.pointer
            gemms.gemm(
                .none, .none, m: T * B, n: I, k: gH, a: inputSide, lda: gH, gradients.inputOperand, b: wih, ldb: I,
                .weight(version: parameters.version), beta: 0, c: dropped, ldc: I)
            workspace.layerDropouts[k - 1].backward(
                dropped, addingInto: workspace.directions[k - 1].outputGradient.pointer,
                count: T * B * H)
            return
        }
        let dx = k > 0 ? workspace.directions[k - 1].outputGradient.pointer : workspace.inputGradient.pointer
        gemms.gemm(
            .none, .none, m: T * B, n: I, k: gH, a: inputSide, lda: gH, gradients.inputOperand, b: wih, ldb: I,
            .weight(version: parameters.version), beta: k > 0 ? 1 : 0, c: dx, ldc: I)
    }

    /// For a cell that leaves its gate gradients' sums and token rows to the weight
    /// gradients (a layer of `rows` = T·B), what a cell's steps make
    /// (`GateGradientForms`): with biases the input side's column sums into
    /// `biasGradientSums` (zeroed), a separate hidden side's after them, and over tokens
    /// `dW_ih`'s table, the input side's sums taken in the same pass.
    /// - Complexity: O(rows·G·H), plus O(V·G·H) over tokens.
    private func sumAndGatherGateGradients(
        _ k: Int, rows: Int, _ gradients: GateGradients, tokens: UnsafePointer<Int32>?
    ) {
        let gH = gateWidth, sums = hasBias ? workspace.biasGradientSums.pointer : nil
        if hasBias { workspace.biasGradientSums.zero() }
        if readsTokens(k) {
            gatherTokenRows(
                gradients.inputSide, tokens: tokens!, rows: rows, width: gH, vocabulary: layerInputSize(k),
                addingColumnSumsInto: sums)
        } else if let sums {
            Vector.addColumnSums(of: gradients.inputSide, rows: rows, cols: gH, into: sums)
        }
        if let sums, cellBuffers.separateHiddenSide {
            Vector.addColumnSums(of: gradients.hiddenSide, rows: rows, cols: gH, into: sums + gH)
        }
    }

    /// One-hot input (layer 0 over `tokens`, in the direction's order): `dW_ih[:, v] +=
    /// Σ dA[r]` over the rows `r` of token `v` (and with `sums`, every row of `dA`
    /// `[rows, width]` added into it), in two halves. This one adds the rows contiguously
    /// into a transposed `[V, width]` table (a padding row, token -1, into `sums` alone)
    /// and gives `sums` the table's column sums; `addTokenTable` then adds the table into
    /// `dW_ih`'s `[width, V]` columns once: `rows·width` vectorized adds and `V·width`
    /// strided ones, instead of `rows·width` strided. (A cell that makes its gate
    /// gradients' forms fills the table in its steps instead: `GateGradientForms`.)
    /// - Complexity: O((rows + V)·width).
    private func gatherTokenRows(
        _ dA: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, rows: Int, width: Int, vocabulary V: Int,
        addingColumnSumsInto sums: UnsafeMutablePointer<Float>?
    ) {
        workspace.tokenWeightGradient.zero()
        let scratch = workspace.tokenWeightGradient.pointer
        for r in 0..<rows {
            let v = Int(tokens[r])
            guard let target = v >= 0 ? scratch + v * width : sums else { continue }
            let row = dA + r * width
            for j in 0..<width { target[j] += row[j] }
        }
        if let sums { Vector.addColumnSums(of: scratch, rows: V, cols: width, into: sums) }
    }

    /// `dW_ih` `[width, V]` += the token table `[V, width]` transposed (`gatherTokenRows`).
    /// - Complexity: O(V·width).
    private func addTokenTable(width: Int, vocabulary V: Int, into gwih: UnsafeMutablePointer<Float>) {
        let scratch = workspace.tokenWeightGradient.pointer
        // Row by row of dW_ih: contiguous writes; the strided reads stay within the same V
        // cache lines from one row to the next.
        for j in 0..<width {
            let row = gwih + j * V
            for v in 0..<V { row[v] += scratch[v * width + j] }
        }
    }

    /// d(loss)/d(initialState) from the last `backward`, `stateSize` values.
    public var initialStateGradient: [Float] { workspace.initialStateGradient.array }

    /// Calls `body` with `initialStateGradient`'s values, without copying.
    func withInitialStateGradient<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(workspace.initialStateGradient.buffer))
    }

    /// d(loss)/d(dense input) `[T*B, inputSize]` of the last `backward`, in place (an
    /// embedding's dropout mask and scatter-add read it).
    func inputGradientPointer() -> UnsafeMutablePointer<Float> {
        precondition(!inputIsTokens, "inputGradient exists only for dense input")
        return workspace.inputGradient.pointer
    }

    /// d(loss)/d(dense input) from the last `backward`, `[T*B, inputSize]`.
    public var inputGradient: Matrix {
        precondition(!inputIsTokens, "inputGradient exists only for dense input")
        return Matrix(rows: steps * batchSize, cols: inputSize, storage: workspace.inputGradient.array)
    }
}

/// A layer-direction's gate gradients `[T*B, G·H]` after its backward walk: the input
/// side's (`dW_ih`, `dX`, the input bias) and the hidden side's (`dW_hh`, the hidden
/// bias; the same buffer unless the cell keeps them apart), each with the operand its
/// products read: in bf16 the bits rounded once for all of them (and then the floats
/// only where `GateGradientForms.floats` asked for them).
struct GateGradients {
    let inputSide: UnsafePointer<Float>
    let hiddenSide: UnsafePointer<Float>
    let inputOperand: PrecisionGEMM.Operand
    let hiddenOperand: PrecisionGEMM.Operand
    /// What the walk's steps made beyond the floats (the bias sums and the token table,
    /// when the cell made them there).
    let forms: GateGradientForms

    init(
        inputSide: UnsafeMutablePointer<Float>, hiddenSide: UnsafeMutablePointer<Float>,
        inputOperand: PrecisionGEMM.Operand, hiddenOperand: PrecisionGEMM.Operand, forms: GateGradientForms
    ) {
        (self.inputSide, self.hiddenSide) = (UnsafePointer(inputSide), UnsafePointer(hiddenSide))
        (self.inputOperand, self.hiddenOperand) = (inputOperand, hiddenOperand)
        self.forms = forms
    }
}
