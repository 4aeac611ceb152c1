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
        if let lengths { checkLengths(lengths) }
        let lengths = lengthsOfTheForward(lengths)
        if let g = finalStateGradient {
            precondition(g.count == stateSize(batchSize: B),
                         "finalStateGradient has \(g.count) elements, expected \(stateSize(batchSize: B))")
            // The h part joins the output gradient at each sequence's last step.
            g.withUnsafeBufferPointer { src in
                for k in 0..<layerDirections {
                    let d = outputGradients[k].pointer
                    for b in 0..<B {
                        let t = (lengths?[b] ?? T) - 1
                        let row = d + (t * B + b) * H, s = src.baseAddress! + (k * B + b) * H
                        for j in 0..<H { row[j] += s[j] }
                    }
                }
            }
        }
        let finalState = finalStateGradient.map { FinalStateGradient(values: $0, lengths: lengths) }
        initialStateGradientBuffer.resize(stateSize(batchSize: B))
        if !inputIsTokens { inputGradientBuffer.resize(T * B * inputSize) }
        if let bidirectional { return backwardBidirectional(bidirectional, finalState: finalState) }
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                tokens.withUnsafeBufferPointer { tok in
                    for k in (0..<numLayers).reversed() {
                        let (inputSide, hiddenSide) = recurrenceBackward(k, T: T, B: B, w: values.baseAddress!,
                                                                            finalState: finalState)
                        profiler.measure(.weightGradients) {
                            weightGradients(k, T: T, B: B, w: values.baseAddress!, g: grads.baseAddress!,
                                            inputSide: inputSide, hiddenSide: hiddenSide, tokens: tok.baseAddress)
                        }
                    }
                }
            }
        }
    }

    /// Whole-sequence gradients of layer `k`: `dW_hh`, biases, `dW_ih`, and `dX`.
    /// (A bidirectional stack joins the two directions' `dX` itself: `backwardBidirectional`.)
    func weightGradients(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>,
                                 inputSide: UnsafePointer<Float>, hiddenSide: UnsafePointer<Float>,
                                 tokens: UnsafePointer<Int32>?) {
        let H = hiddenSize, I = layerInputSize(k), gH = gateWidth
        BLAS.gemm(.transposed, .none, m: gH, n: H, k: T * B, a: hiddenSide, lda: gH, b: states[k].pointer, ldb: H,
                  beta: 1, c: g + weightHH[k].offset, ldc: H)
        if hasBias {
            if inputSide == hiddenSide {
                // One gradient for both biases (RNN, LSTM): sum its columns once.
                biasGradientSums.resize(gH)
                biasGradientSums.zero()
                Vector.addColumnSums(of: inputSide, rows: T * B, cols: gH, into: biasGradientSums.pointer)
                BLAS.axpy(count: gH, alpha: 1, x: biasGradientSums.pointer, y: g + biasIH[k].offset)
                BLAS.axpy(count: gH, alpha: 1, x: biasGradientSums.pointer, y: g + biasHH[k].offset)
            } else {
                Vector.addColumnSums(of: inputSide, rows: T * B, cols: gH, into: g + biasIH[k].offset)
                Vector.addColumnSums(of: hiddenSide, rows: T * B, cols: gH, into: g + biasHH[k].offset)
            }
        }
        let wih = w + weightIH[k].offset
        let gwih = g + weightIH[k].offset
        if layer(k) == 0 && inputIsTokens {
            // One-hot input: dW_ih[:, token] += dA_row. Rows are added contiguously into
            // a transposed [V, gH] scratch, which is then added into the [gH, V] columns
            // once: T·B·gH vectorized adds and V·gH strided ones, instead of T·B·gH strided.
            tokenWeightGradient.resize(I * gH)
            tokenWeightGradient.zero()
            let tok = tokens!, scratch = tokenWeightGradient.pointer
            for r in 0..<(T * B) {
                let v = Int(tok[r])
                if v < 0 { continue }
                BLAS.axpy(count: gH, alpha: 1, x: inputSide + r * gH, y: scratch + v * gH)
            }
            // Row by row of dW_ih: contiguous writes; the strided reads stay within the
            // same V cache lines from one row to the next.
            for j in 0..<gH {
                let row = gwih + j * I
                for v in 0..<I { row[v] += scratch[v * gH + j] }
            }
            return
        }
        let x = layerInput(k)
        BLAS.gemm(.transposed, .none, m: gH, n: I, k: T * B, a: inputSide, lda: gH, b: x, ldb: I,
                  beta: 1, c: gwih, ldc: I)
        if bidirectional != nil { return }
        // dX = dA W_ih: into the layer below's output gradient (through the dropout mask
        // when there was one), or the input gradient.
        if k > 0 && dropoutActive {
            droppedInputGradient.resize(T * B * H)
            BLAS.gemm(.none, .none, m: T * B, n: I, k: gH, a: inputSide, lda: gH, b: wih, ldb: I,
                      beta: 0, c: droppedInputGradient.pointer, ldc: I)
            layerDropouts[k - 1].backward(droppedInputGradient.pointer, addingInto: outputGradients[k - 1].pointer, count: T * B * H)
            return
        }
        let dx = k > 0 ? outputGradients[k - 1].pointer : inputGradientBuffer.pointer
        BLAS.gemm(.none, .none, m: T * B, n: I, k: gH, a: inputSide, lda: gH, b: wih, ldb: I,
                  beta: k > 0 ? 1 : 0, c: dx, ldc: I)
    }

    /// Where the initial-state gradient of part `p`, layer `k` goes (`[B, H]`).
    func initialStateGradient(part p: Int, layer k: Int) -> UnsafeMutablePointer<Float> {
        initialStateGradientBuffer.pointer + (p * layerDirections + k) * batchSize * hiddenSize
    }

    /// d(loss)/d(initialState) from the last `backward`, `stateSize` values.
    public var initialStateGradient: [Float] { initialStateGradientBuffer.array }

    /// Calls `body` with `initialStateGradient`'s values, without copying.
    func withInitialStateGradient<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(initialStateGradientBuffer.buffer))
    }

    /// d(loss)/d(dense input) `[T*B, inputSize]` of the last `backward`, in place (an
    /// embedding's dropout mask and scatter-add read it).
    func inputGradientPointer() -> UnsafeMutablePointer<Float> {
        precondition(!inputIsTokens, "inputGradient exists only for dense input")
        return inputGradientBuffer.pointer
    }

    /// d(loss)/d(dense input) from the last `backward`, `[T*B, inputSize]`.
    public var inputGradient: Matrix {
        precondition(!inputIsTokens, "inputGradient exists only for dense input")
        return Matrix(rows: steps * batchSize, cols: inputSize, storage: inputGradientBuffer.array)
    }
}
