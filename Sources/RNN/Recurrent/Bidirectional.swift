import Linalg

/// What a bidirectional `RecurrentStack` keeps besides each direction's own buffers: the
/// reverse direction's row order, its reordered inputs, and each layer's joined output.
///
/// The reverse direction of a layer is the same cell run over the rows in the order
/// `sourceRows`: row `t*B + b` of its input is row `(len_b − 1 − t)*B + b` of the layer's
/// input for `t < len_b`, and itself for the padding after the sequence — so it reads each
/// sequence from its last step to its first, and its own step `t` is the sequence's step
/// `len_b − 1 − t`. That order is its own inverse: the same gather puts the reverse
/// direction's outputs back in time order.
final class BidirectionalBuffers {
    /// Per layer: `[T*B, 2H]`, the forward direction's outputs then the reverse one's, in
    /// time order (PyTorch's `output` of a bidirectional layer).
    let outputs: [FloatBuffer]
    /// Per layer: the reverse direction's input `[T*B, I_k]` in its row order (unused for
    /// token input at layer 0, which reorders `reversedTokens` instead).
    let reversedInputs: [FloatBuffer]
    /// The tokens of the last forward in the reverse direction's order.
    var reversedTokens: [Int32] = []
    /// `[T*B]`: the row of the time-ordered input that row `r` of the reverse order reads.
    var sourceRows: [Int] = []
    /// The lengths the last forward was given (nil: every sequence has all `T` steps),
    /// copied into storage of its own (a caller's array refilled in place later must not
    /// find it shared, which would copy it each step).
    var givenLengths: [Int]? { hasLengths ? lengthStorage : nil }
    private var lengthStorage: [Int] = []
    private var hasLengths = false
    /// d(loss)/d(top layer's outputs) `[T*B, 2H]`, in time order.
    let topOutputGradient = FloatBuffer()
    /// Backward scratch: the reverse direction's d(loss)/d(its input) `[T*B, I_k]` in its
    /// own order, and above layer 0 both directions' summed in time order `[T*B, 2H]` (at
    /// layer 0 the sum is the stack's input gradient itself).
    let reverseInputGradient = FloatBuffer()
    let layerInputGradient = FloatBuffer()

    init(numLayers: Int) {
        outputs = (0..<numLayers).map { _ in FloatBuffer() }
        reversedInputs = (0..<numLayers).map { _ in FloatBuffer() }
    }

    /// The floats of all its buffers.
    var heldFloats: Int {
        (outputs + reversedInputs + [topOutputGradient, reverseInputGradient, layerInputGradient])
            .reduce(0) { $0 + $1.heldFloats }
    }

    /// Sets `sourceRows` for `B` sequences of `T` steps with `lengths` (nil: all `T`).
    /// - Complexity: O(T·B); no allocation once the rows have grown to size.
    func reverseRows(steps T: Int, batchSize B: Int, lengths: [Int]?) {
        hasLengths = lengths != nil
        lengthStorage.removeAll(keepingCapacity: true)
        if let lengths { lengthStorage.append(contentsOf: lengths) }
        sourceRows.removeAll(keepingCapacity: true)
        for t in 0..<T {
            for b in 0..<B {
                let n = lengths?[b] ?? T
                sourceRows.append((t < n ? n - 1 - t : t) * B + b)
            }
        }
    }

    /// `destination[r] = source[sourceRows[r]]` for rows of `width` floats.
    func gatherRows(_ source: UnsafePointer<Float>, width: Int, into destination: UnsafeMutablePointer<Float>) {
        for (r, s) in sourceRows.enumerated() {
            (destination + r * width).update(from: source + s * width, count: width)
        }
    }

    /// `destination[sourceRows[r]] += source[r]` for rows of `width` floats (a reverse
    /// direction's rows added back in time order).
    func addRows(_ source: UnsafePointer<Float>, width: Int, into destination: UnsafeMutablePointer<Float>) {
        for (r, s) in sourceRows.enumerated() {
            let from = source + r * width, to = destination + s * width
            for j in 0..<width { to[j] += from[j] }
        }
    }
}

extension RecurrentStack {
    /// The layers of a bidirectional stack over the input already in place (`tokens` or
    /// `denseInput`), the initial states set: per layer, the dropout of its input (above
    /// layer 0), the forward direction over the input, the reverse direction over the
    /// input in its row order, then the two outputs joined in time order.
    /// - Complexity: twice a one-directional layer's, plus O(T·B·(I + H)) per layer to
    ///   reorder and join.
    func runBidirectionalLayers(_ joint: BidirectionalBuffers, T: Int, B: Int, dropout: DropoutNoise?) {
        let H = hiddenSize, W = outputWidth, rows = T * B
        if inputIsTokens {
            joint.reversedTokens.removeAll(keepingCapacity: true)
            for r in joint.sourceRows { joint.reversedTokens.append(tokens[r]) }
        }
        joint.topOutputGradient.resize(rows * W)
        joint.topOutputGradient.zero()
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            for k in 0..<numLayers {
                joint.outputs[k].resize(rows * W)
                profiler.measure(.inputProjection) {
                    if k > 0 && dropoutActive {
                        layerDropouts[k - 1].forward(dropout!, steps: T, batchSize: B, width: W,
                                                     joint.outputs[k - 1].pointer, into: droppedInputs[k - 1].pointer)
                    }
                    if k > 0 || !inputIsTokens {
                        let I = layerInputSize(2 * k)
                        joint.reversedInputs[k].resize(rows * I)
                        joint.gatherRows(layerInput(2 * k), width: I, into: joint.reversedInputs[k].pointer)
                    }
                }
                for d in 0..<2 {
                    profiler.measure(.inputProjection) {
                        (d == 0 ? tokens : joint.reversedTokens).withUnsafeBufferPointer { tok in
                            projectInputs(2 * k + d, T: T, B: B, w: w, tokens: tok.baseAddress)
                        }
                    }
                    recurrenceForward(2 * k + d, T: T, B: B, w: w)
                }
                profiler.measure(.elementwise) {
                    let out = joint.outputs[k].pointer
                    let forward = states[2 * k].pointer + B * H, reverse = states[2 * k + 1].pointer + B * H
                    for (r, s) in joint.sourceRows.enumerated() {
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
    func backwardBidirectional(_ joint: BidirectionalBuffers, finalState: FinalStateGradient?) {
        let (T, B, W) = (steps, batchSize, outputWidth)
        let rows = T * B
        split(joint.topOutputGradient.pointer, layer: numLayers - 1, joint)
        parameters.values.withUnsafeBufferPointer { values in
            parameters.gradients.withUnsafeMutableBufferPointer { grads in
                let w = values.baseAddress!, g = grads.baseAddress!
                for k in (0..<numLayers).reversed() {
                    let I = layerInputSize(2 * k), needsInputGradient = k > 0 || !inputIsTokens
                    if needsInputGradient {
                        if k > 0 { joint.layerInputGradient.resize(rows * I) }
                        joint.reverseInputGradient.resize(rows * I)
                    }
                    // Both directions' dX = dA W_ih summed in time order: the forward one's
                    // written, the reverse one's (in its row order) added.
                    let sum = k > 0 ? joint.layerInputGradient.pointer : inputGradientBuffer.pointer
                    for d in 0..<2 {
                        let ld = 2 * k + d
                        let (inputSide, hiddenSide) = recurrenceBackward(ld, T: T, B: B, w: w, finalState: finalState)
                        profiler.measure(.weightGradients) {
                            (d == 0 ? tokens : joint.reversedTokens).withUnsafeBufferPointer { tok in
                                weightGradients(ld, T: T, B: B, w: w, g: g, inputSide: inputSide, hiddenSide: hiddenSide,
                                                tokens: tok.baseAddress)
                            }
                            guard needsInputGradient else { return }
                            let dx = d == 0 ? sum : joint.reverseInputGradient.pointer
                            BLAS.gemm(.none, .none, m: rows, n: I, k: gateWidth, a: inputSide, lda: gateWidth,
                                      b: w + weightIH[ld].offset, ldb: I, beta: 0, c: dx, ldc: I)
                            if d == 1 { joint.addRows(dx, width: I, into: sum) }
                        }
                    }
                    if k > 0 {
                        if dropoutActive { layerDropouts[k - 1].backward(sum, count: rows * W) }
                        split(sum, layer: k - 1, joint)
                    }
                }
            }
        }
    }

    /// Adds d(loss)/d(layer `k`'s joined outputs) `[T*B, 2H]` (time order) into its two
    /// directions' output gradients: columns `0..<H` to the forward direction's rows,
    /// columns `H..<2H` to the reverse direction's rows in its order.
    private func split(_ gradient: UnsafePointer<Float>, layer k: Int, _ joint: BidirectionalBuffers) {
        let H = hiddenSize, W = outputWidth, rows = steps * batchSize
        let forward = outputGradients[2 * k].pointer, reverse = outputGradients[2 * k + 1].pointer
        for r in 0..<rows {
            let from = gradient + r * W, to = forward + r * H
            for j in 0..<H { to[j] += from[j] }
        }
        for (r, s) in joint.sourceRows.enumerated() {
            let from = gradient + s * W + H, to = reverse + r * H
            for j in 0..<H { to[j] += from[j] }
        }
    }
}
