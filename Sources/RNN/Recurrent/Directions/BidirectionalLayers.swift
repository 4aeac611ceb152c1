import Linalg

extension RecurrentStack {
    /// The layers of a bidirectional stack over the input already in place (`tokens` or
    /// `denseInput`), the initial states set: per layer, the dropout of its input (above
    /// layer 0), the forward direction over the input, the reverse direction over the
    /// input in its row order, then the two outputs joined in time order.
    /// - Complexity: twice a one-directional layer's, plus O(T·B·(I + H)) per layer to
    ///   reorder and join.
    func runBidirectionalLayers(_ order: ReverseRowOrder, T: Int, B: Int, dropout: DropoutNoise?) {
        let H = hiddenSize, W = outputWidth
        if inputIsTokens {
            order.reversedTokens.removeAll(keepingCapacity: true)
            for r in order.sourceRows { order.reversedTokens.append(tokens[r]) }
        }
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            for k in 0..<numLayers {
                profiler.measure(.inputProjection) {
                    if k > 0 && dropoutActive {
                        workspace.layerDropouts[k - 1].forward(
                            dropout!, steps: T, batchSize: B, width: W,
                            workspace.joinedOutputs[k - 1].pointer,
                            into: workspace.droppedInputs[k - 1].pointer)
                    }
                    if k > 0 || !inputIsTokens {
                        order.gatherRows(layerInput(2 * k), width: layerInputSize(2 * k), into: workspace.reversedInputs[k].pointer)
                    }
                }
                for d in 0..<2 {
                    profiler.measure(.inputProjection) {
                        (d == 0 ? tokens : order.reversedTokens).withUnsafeBufferPointer { tok in
                            projectInputs(2 * k + d, T: T, B: B, w: w, tokens: tok.baseAddress)
                        }
                    }
                    walkForward(2 * k + d, T: T, B: B, w: w)
                }
                profiler.measure(.elementwise) {
                    let out = workspace.joinedOutputs[k].pointer
                    let forward = workspace.directions[2 * k].states[0].pointer + B * H
                    let reverse = workspace.directions[2 * k + 1].states[0].pointer + B * H
                    for (r, s) in order.sourceRows.enumerated() {
                        (out + r * W).update(from: forward + r * H, count: H)
                        (out + s * W + H).update(from: reverse + r * H, count: H)
                    }
                }
            }
        }
    }

    /// `backward` of a bidirectional stack, after the final state's `h` gradient joined
    /// the layer-directions' output gradients: the top output gradient split to the two
    /// directions (the reverse one's in its order); per layer from the top, each
    /// direction's recurrence and weight gradients, then both directions' `dX` summed in
    /// time order, through the layer's input dropout, and split to the layer below (or
    /// into `inputGradient`).
    /// - Complexity: twice a one-directional backward, plus O(T·B·(I + H)) per layer.
    func backwardBidirectional(_ order: ReverseRowOrder, finalState: FinalStateGradient?) {
        let (T, B, W) = (steps, batchSize, outputWidth)
        let rows = T * B
        split(workspace.topOutputGradient.pointer, layer: numLayers - 1, order)
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                let w = values.baseAddress!, g = grads.baseAddress!
                for k in (0..<numLayers).reversed() {
                    let I = layerInputSize(2 * k), needsInputGradient = k > 0 || !inputIsTokens
                    // Both directions' dX = dA W_ih summed in time order: the forward one's
                    // written, the reverse one's (in its row order) added.
                    let sum = k > 0 ? workspace.layerInputGradient.pointer : workspace.inputGradient.pointer
                    for d in 0..<2 {
                        let ld = 2 * k + d
                        let gradients = (d == 0 ? tokens : order.reversedTokens).withUnsafeBufferPointer { tok in
                            let gradients = walkBackward(ld, T: T, B: B, w: w, finalState: finalState, tokens: tok.baseAddress)
                            profiler.measure(.weightGradients) {
                                weightGradients(ld, T: T, B: B, w: w, g: g, gradients, tokens: tok.baseAddress)
                            }
                            return gradients
                        }
                        profiler.measure(.weightGradients) {
                            guard needsInputGradient else { return }
                            let dx = d == 0 ? sum : workspace.reverseInputGradient.pointer
                            gemms.gemm(
                                .none, .none, m: rows, n: I, k: gateWidth, a: gradients.inputSide, lda: gateWidth,
                                gradients.inputOperand, b: w + weightIH[ld].offset, ldb: I, .weight(version: parameters.version), beta: 0,
                                c: dx, ldc: I)
                            if d == 1 { order.addRows(dx, width: I, into: sum) }
                        }
                    }
                    if k > 0 {
                        if dropoutActive { workspace.layerDropouts[k - 1].backward(sum, count: rows * W) }
                        split(sum, layer: k - 1, order)
                    }
                }
            }
        }
    }

    /// Adds d(loss)/d(layer `k`'s joined outputs) `[T*B, 2H]` (time order) into its two
    /// directions' output gradients: columns `0..<H` to the forward direction's rows,
    /// columns `H..<2H` to the reverse direction's rows in its order.
    private func split(_ gradient: UnsafePointer<Float>, layer k: Int, _ order: ReverseRowOrder) {
        let H = hiddenSize, W = outputWidth, rows = steps * batchSize
        let forward = workspace.directions[2 * k].outputGradient.pointer
        let reverse = workspace.directions[2 * k + 1].outputGradient.pointer
        for r in 0..<rows {
            let from = gradient + r * W, to = forward + r * H
            for j in 0..<H { to[j] += from[j] }
        }
        for (r, s) in order.sourceRows.enumerated() {
            let from = gradient + s * W + H, to = reverse + r * H
            for j in 0..<H { to[j] += from[j] }
        }
    }
}
