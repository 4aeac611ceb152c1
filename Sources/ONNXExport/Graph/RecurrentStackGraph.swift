import RNN

/// A `RecurrentStack` as ONNX nodes: one `RNN`, `GRU` or `LSTM` operator per layer (both
/// directions in one with `direction = "bidirectional"`), each layer's output `[T, D, B, H]`
/// turned into the next one's input `[T, B, D·H]` (`[forward, reverse]` along the features,
/// as the library), and the layers' final states joined into `[L·D, B, H]` per part (block
/// `layer·D + direction`, as `h_n`).
///
/// Weights become initializers `{prefix}W_l{k}` `[D, G·H, I_k]`, `{prefix}R_l{k}`
/// `[D, G·H, H]` and `{prefix}B_l{k}` `[D, 2·G·H]` (`[bias_ih, bias_hh]`), gate blocks in
/// ONNX's order; the GRU runs with `linear_before_reset = 1`, PyTorch's
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
struct RecurrentStackGraph {
    let configuration: RecurrentConfiguration
    /// The parameters' name prefix in the model (`rnn.`, `encoder.`, `decoder.`).
    let prefix: String
    let parameters: ParameterStore

    /// Emits the stack over `input` `[T, B, I]` from `initialState` (per state part, a
    /// `[L·D, B, H]` value), each sequence `b` running `lengths[b]` steps (`[B]` int32).
    /// Returns the top layer's output `[T, B, D·H]` (zeros after each length), its final
    /// state `[D, B, H]` per part, and every layer's final state per part `[L·D, B, H]`.
    func emit(
        into g: inout GraphBuilder, input: String, lengths: String, initialState: [String]
    ) -> (output: String, topFinalState: [String], finalState: [String]) {
        let c = configuration, H = c.hiddenSize, D = c.directions, cell = c.cell
        let suffixes = c.bidirectional ? ["", "_reverse"] : [""]
        var x = input
        var finals: [[String]] = Array(repeating: [], count: cell.stateParts)
        for k in 0..<c.numLayers {
            let W = g.constant(
                ONNXTensor(name: "\(prefix)W_l\(k)", dimensions: [D, cell.gateCount * H, inputWidth(layer: k)]) { out in
                    for s in suffixes { parameters.appendGates("\(prefix)weight_ih_l\(k)\(s)", cell: cell, hiddenSize: H, to: &out) }
                })
            let R = g.constant(
                ONNXTensor(name: "\(prefix)R_l\(k)", dimensions: [D, cell.gateCount * H, H]) { out in
                    for s in suffixes { parameters.appendGates("\(prefix)weight_hh_l\(k)\(s)", cell: cell, hiddenSize: H, to: &out) }
                })
            let B = g.constant(
                ONNXTensor(name: "\(prefix)B_l\(k)", dimensions: [D, 2 * cell.gateCount * H]) { out in
                    for s in suffixes {
                        parameters.appendGates("\(prefix)bias_ih_l\(k)\(s)", cell: cell, hiddenSize: H, to: &out)
                        parameters.appendGates("\(prefix)bias_hh_l\(k)\(s)", cell: cell, hiddenSize: H, to: &out)
                    }
                })
            let states = initialState.map { g.slice($0, axis: 0, k * D..<(k + 1) * D) }
            var attributes: [(name: String, value: ONNXNode.Attribute)] = [
                ("hidden_size", .int(H)), ("direction", .string(c.bidirectional ? "bidirectional" : "forward")),
            ]
            switch cell {
            case .rnn:
                let activation = c.nonlinearity == .relu ? "Relu" : "Tanh"
                attributes.append(("activations", .strings(Array(repeating: activation, count: D))))
            case .gru: attributes.append(("linear_before_reset", .int(1)))
            case .lstm: break
            }
            let outputs = g.node(
                cell.onnxOperator, [x, W, R, B, lengths] + states, outputCount: 1 + cell.stateParts, attributes)
            for p in 0..<cell.stateParts { finals[p].append(outputs[1 + p]) }
            x =
                D == 1
                ? g.apply("Squeeze", [outputs[0]], [("axes", .ints([1]))])
                : g.apply(
                    "Reshape",
                    [g.apply("Transpose", [outputs[0]], [("perm", .ints([0, 2, 1, 3]))]), g.int64s([0, 0, D * H])])
        }
        let joined = finals.map { $0.count == 1 ? $0[0] : g.apply("Concat", $0, [("axis", .int(0))]) }
        return (x, finals.map { $0.last! }, joined)
    }

    /// `I_k`: the input's width for layer 0, `D·H` above it.
    private func inputWidth(layer k: Int) -> Int {
        k == 0 ? parameters.slot(named: "\(prefix)weight_ih_l0")!.shape[1] : configuration.outputWidth
    }
}
