import Linalg

extension ElmanRNN {
    /// Backpropagation through time for the last `forward`, for the whole stack.
    ///
    /// Reads d(loss)/d(top outputs) from `withOutputGradient` and **accumulates**
    /// d(loss)/d(parameters) into `parameters.gradients`. Afterwards
    /// `initialStateGradient` holds d(loss)/d(initialState) and, for dense input,
    /// `inputGradient` holds d(loss)/d(input).
    ///
    /// - Parameters:
    ///   - finalStateGradient: d(loss)/d(`finalState(lengths:)`), `[numLayers*B*H]`, or nil.
    ///   - lengths: the same per-sequence lengths given to `finalState(lengths:)`.
    /// - Complexity: `O(T·B·H·(I + H·L))`: per layer `T` GEMMs `[B,H]x[H,H]` for the
    ///   recurrence, then `dW_hh = dAᵀ H_prev` and `dW_ih = dAᵀ X` as single GEMMs with
    ///   `K = T*B`, and `dX = dA W_ih` for the layer below.
    public func backward(finalStateGradient: [Float]? = nil, lengths: [Int]? = nil) {
        let B = batchSize, T = steps, H = hiddenSize
        precondition(T > 0, "backward called before forward")
        if let lengths { checkLengths(lengths) }
        if let g = finalStateGradient {
            precondition(g.count == numLayers * B * H,
                         "finalStateGradient has \(g.count) elements, expected numLayers*B*H = \(numLayers * B * H)")
            g.withUnsafeBufferPointer { src in
                for k in 0..<numLayers {
                    let d = outputGradients[k].pointer
                    for b in 0..<B {
                        let t = (lengths?[b] ?? T) - 1
                        let row = d + (t * B + b) * H, s = src.baseAddress! + (k * B + b) * H
                        for j in 0..<H { row[j] += s[j] }
                    }
                }
            }
        }
        initialStateGradientBuffer.resize(numLayers * B * H)
        if !inputIsTokens { inputGradientBuffer.resize(T * B * inputSize) }
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                tokens.withUnsafeBufferPointer { tok in
                    for k in (0..<numLayers).reversed() {
                        backwardLayer(k, T: T, B: B, w: values.baseAddress!, g: grads.baseAddress!, tokens: tok.baseAddress)
                    }
                }
            }
        }
    }

    private func backwardLayer(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>,
                               tokens: UnsafePointer<Int32>?) {
        let H = hiddenSize
        let h = states[k].pointer          // [(T+1)*B, H]: h_prev for step t is block t
        let d = outputGradients[k].pointer // becomes dA in place
        let whh = w + weightHH[k].offset
        let dh0 = initialStateGradientBuffer.pointer + k * B * H
        // 1. The sequential part: dA_t = (dH_t + carry) ⊙ act'(h_t); carry = dA_t W_hh,
        //    accumulated straight into block t-1 of dH.
        for t in (0..<T).reversed() {
            let block = d + t * B * H
            profiler.measure(.elementwise) {
                nonlinearity.multiplyByDerivative(block, output: h + (t + 1) * B * H, count: B * H)
            }
            let carryTarget = t > 0 ? d + (t - 1) * B * H : dh0
            profiler.measure(.backwardRecurrence) {
                BLAS.gemm(.none, .none, m: B, n: H, k: H, a: block, lda: H, b: whh, ldb: H,
                          beta: t > 0 ? 1 : 0, c: carryTarget, ldc: H)
            }
        }
        profiler.measure(.weightGradients) {
            weightGradients(k, T: T, B: B, w: w, g: g, tokens: tokens)
        }
    }

    private func weightGradients(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>,
                                 tokens: UnsafePointer<Int32>?) {
        let H = hiddenSize, I = layerInputSize(k)
        let h = states[k].pointer
        let d = outputGradients[k].pointer
        // 2. Whole-sequence weight gradients.
        BLAS.gemm(.transposed, .none, m: H, n: H, k: T * B, a: d, lda: H, b: h, ldb: H,
                  beta: 1, c: g + weightHH[k].offset, ldc: H)
        if hasBias {
            Vector.addColumnSums(of: d, rows: T * B, cols: H, into: g + biasIH[k].offset)
            Vector.addColumnSums(of: d, rows: T * B, cols: H, into: g + biasHH[k].offset)
        }
        let wih = w + weightIH[k].offset
        let gwih = g + weightIH[k].offset
        if k == 0 && inputIsTokens {
            // One-hot input: dW_ih[:, token] += dA_row (scatter-add into columns).
            let tok = tokens!
            for r in 0..<(T * B) {
                let v = Int(tok[r])
                if v < 0 { continue }
                let row = d + r * H
                for j in 0..<H { gwih[j * I + v] += row[j] }
            }
            return
        }
        let x = k == 0 ? UnsafePointer(denseInput.pointer) : UnsafePointer(states[k - 1].pointer + B * H)
        BLAS.gemm(.transposed, .none, m: H, n: I, k: T * B, a: d, lda: H, b: x, ldb: I,
                  beta: 1, c: gwih, ldc: I)
        // 3. dX = dA W_ih: into the layer below's output gradient, or the input gradient.
        let dx = k > 0 ? outputGradients[k - 1].pointer : inputGradientBuffer.pointer
        BLAS.gemm(.none, .none, m: T * B, n: I, k: H, a: d, lda: H, b: wih, ldb: I,
                  beta: k > 0 ? 1 : 0, c: dx, ldc: I)
    }

    /// d(loss)/d(initialState) from the last `backward`, `[numLayers*B*H]`.
    public var initialStateGradient: [Float] { initialStateGradientBuffer.array }

    /// d(loss)/d(dense input) from the last `backward`, `[T*B, inputSize]`.
    public var inputGradient: Matrix {
        precondition(!inputIsTokens, "inputGradient exists only for dense input")
        return Matrix(rows: steps * batchSize, cols: inputSize, storage: inputGradientBuffer.array)
    }
}
