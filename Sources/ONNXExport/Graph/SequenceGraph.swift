import RNN

/// What one exported sequence graph is made of: how its input reaches the stack, the
/// stack, and what it returns — the one builder behind every architecture's graphs (the
/// interface is `GraphInterface.swift`'s).
struct SequenceGraph {
    /// How the graph's input becomes the stack's `[T, B, I]`.
    enum Input {
        /// `tokens` as one-hot rows of `depth` (the stack reads tokens itself).
        case oneHot(depth: Int)
        /// `tokens` through the embedding table of this name, `[V, E]`.
        case embedding(weight: String)
        /// `inputs` `[T, B, width]` as they are.
        case vectors(width: Int)
    }

    /// What the graph returns besides the final state.
    enum Head {
        /// `logits` `[T, B, O]`: the output layer at every step.
        case everyStep(weight: String, bias: String)
        /// `logits` `[B, O]`: the output layer over each sequence's last step
        /// (`[forward at its last step, reverse at step 0]` when bidirectional).
        case lastStep(weight: String, bias: String)
        /// No logits: the state is the output (an encoder), mapped to the decoder's by
        /// `bridge` (per state part, `Linear(2H, H)` weight and bias names) when given.
        case state(bridge: [(weight: String, bias: String)]?)
    }

    let name: String
    let recurrent: RecurrentConfiguration
    /// The stack's parameter prefix (`rnn.`, `encoder.`, `decoder.`).
    let prefix: String
    let input: Input
    let head: Head
    /// Adds `probabilities`, the softmax of `logits`, as the last output.
    let softmax: Bool
    /// The name of the first output: `logits`, or `outputs` for a regression (a forecaster).
    var outputName = "logits"
    /// `(x − offset) / scale` on dense inputs, `y · scale + offset` on the first output.
    var inputScaling: ONNXExportOptions.Scaling? = nil
    var outputScaling: ONNXExportOptions.Scaling? = nil
    /// With a `.state` head: also return the top layer's outputs as `memory` `[T, B, D·H]`
    /// (zeros after each length), what an attention decoder reads.
    var memoryOutput = false

    func build(_ parameters: ParameterStore) -> ONNXGraph {
        var g = GraphBuilder(name: name)
        let r = recurrent, H = r.hiddenSize, blocks = r.numLayers * r.directions
        // Tensors used only by the graph's nodes come first in the file; the weights of
        // the embedding and the output layer follow PyTorch's names.
        let x: String, reference: String
        switch input {
        case .oneHot(let depth):
            reference = g.tokensInput()
            x = g.oneHot(reference, depth: depth)
        case .embedding(let weight):
            reference = g.tokensInput()
            x = g.apply("Gather", [g.constant(parameters.onnxTensor(weight)), reference], [("axis", .int(0))])
        case .vectors(let width):
            reference = g.vectorsInput(width: width)
            x = inputScaling.map { g.affine(reference, subtract: $0.offset, divide: $0.scale) } ?? reference
        }
        let batch = g.dimension(reference, axis: 1)
        let lengths = g.lengthsInput(reference: reference, batch: batch)
        let states = g.stateInputs(cell: r.cell, blocks: blocks, hiddenSize: H, batch: batch)
        let stack = RecurrentStackGraph(configuration: r, prefix: prefix, parameters: parameters)
        let (top, topFinal, finals) = stack.emit(into: &g, input: x, lengths: lengths, initialState: states)

        func weights(_ weight: String, _ bias: String) -> (String, String) {
            let w = g.graph.initializer(weight) == nil ? g.constant(parameters.onnxTensor(weight)) : weight
            return (w, g.constant(parameters.onnxTensor(bias)))
        }
        var logits: (name: String, dimensions: [ONNXValueInfo.Dimension])?
        switch head {
        case .everyStep(let weight, let bias):
            let (w, b) = weights(weight, bias)
            _ = g.scaledOutput(g.linear(top, weight: w, bias: b), outputScaling, name: outputName)
            logits = (outputName, [.symbol("T"), .symbol("B"), .size(parameters.slot(named: weight)!.shape[0])])
        case .lastStep(let weight, let bias):
            let (w, b) = weights(weight, bias)
            let last =
                r.directions == 1
                ? g.apply("Squeeze", [topFinal[0]], [("axes", .ints([0]))])
                : g.apply(
                    "Reshape", [g.apply("Transpose", [topFinal[0]], [("perm", .ints([1, 0, 2]))]), g.int64s([0, -1])])
            _ = g.scaledOutput(g.linear(last, weight: w, bias: b), outputScaling, name: outputName)
            logits = (outputName, [.symbol("B"), .size(parameters.slot(named: weight)!.shape[0])])
        case .state(let bridge):
            func memory() {
                guard memoryOutput else { return }
                _ = g.apply("Identity", [top], output: "memory")
                g.output(
                    ONNXValueInfo(name: "memory", elementType: .float, dimensions: [.symbol("T"), .symbol("B"), .size(r.outputWidth)]))
            }
            guard let bridge else {
                g.stateOutputs(finals, cell: r.cell, blocks: blocks, hiddenSize: H)
                memory()
                return g.graph
            }
            // [2L, B, H] → [L, 2, B, H] → [L, B, 2, H] → [L, B, 2H] → Linear(2H, H) per part.
            let bridged = zip(finals, bridge).map { state, part in
                let pairs = g.apply("Reshape", [state, g.int64s([r.numLayers, 2, -1, H])])
                let joined = g.apply(
                    "Reshape", [g.apply("Transpose", [pairs], [("perm", .ints([0, 2, 1, 3]))]), g.int64s([0, 0, 2 * H])])
                let (w, b) = weights(part.weight, part.bias)
                return g.linear(joined, weight: w, bias: b)
            }
            g.stateOutputs(bridged, cell: r.cell, blocks: r.numLayers, hiddenSize: H)
            memory()
            return g.graph
        }
        if let logits {
            g.output(ONNXValueInfo(name: logits.name, elementType: .float, dimensions: logits.dimensions))
        }
        g.stateOutputs(finals, cell: r.cell, blocks: blocks, hiddenSize: H)
        if softmax, let logits {
            _ = g.apply("Softmax", [logits.name], output: "probabilities", [("axis", .int(logits.dimensions.count - 1))])
            g.output(ONNXValueInfo(name: "probabilities", elementType: .float, dimensions: logits.dimensions))
        }
        return g.graph
    }
}
