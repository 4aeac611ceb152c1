import RNN

/// The decoder graph of an encoder-decoder with attention: the decoder stack over `tokens`,
/// then the attention of every step over the encoder's outputs and the output layer —
/// `EncoderDecoderModel`'s teacher-forced computation, for one step or many:
///
///     D = stack(tokens, h0) [T, B, H];  scores [B, T, Ts] = D · keys(memory)ᵀ (masked past
///     memory_lengths);  α = softmax;  c = α · memory;  h̃ = tanh([c, D] · W_cᵀ);  logits = fc(h̃)
///
/// Inputs: `tokens` int64 `[T, B]`, optional `lengths`, `h0` (`c0`) as every graph has, and
/// `memory` float `[Ts, B, M]` (the encoder graph's output) with `memory_lengths` int32
/// `[B]` (optional: 0 or absent means all `Ts`). Outputs: `logits` `[T, B, V]`, `hn` (`cn`),
/// `attention` `[T, B, Ts]` (each step's weights), and `probabilities` with a softmax.
///
/// The mask needs the positions `0..<Ts`; opset 10 has no `Range`, so they are a constant
/// of `maximumSourceLength` entries, sliced to `Ts`: longer sources are refused by the
/// runtime (a `Slice` past the constant's end gives too few positions).
struct AttentionDecoderGraph {
    let configuration: EncoderDecoderModel.Configuration
    let score: AttentionScore
    let softmax: Bool
    /// The longest source the graph accepts (the positions constant's length).
    static let maximumSourceLength = 4096

    func build(_ parameters: ParameterStore) -> ONNXGraph {
        var g = GraphBuilder(name: "encoder_decoder_attention_decoder")
        let c = configuration, r = c.recurrent, H = r.hiddenSize, M = c.memoryWidth, V = c.targetVocabularySize
        let tokens = g.tokensInput()
        let x = g.oneHot(tokens, depth: V)
        let batch = g.dimension(tokens, axis: 1)
        let lengths = g.lengthsInput(reference: tokens, batch: batch)
        let states = g.stateInputs(cell: r.cell, blocks: r.numLayers, hiddenSize: H, batch: batch)
        g.input(ONNXValueInfo(name: "memory", elementType: .float, dimensions: [.symbol("S"), .symbol("B"), .size(M)]))
        g.input(ONNXValueInfo(name: "memory_lengths", elementType: .int32, dimensions: [.symbol("B")]))
        g.constant(ONNXTensor(name: "memory_lengths", dimensions: [1], int32: [0]))
        let stack = RecurrentStackGraph(configuration: r, prefix: "decoder.", parameters: parameters)
        let (top, _, finals) = stack.emit(into: &g, input: x, lengths: lengths, initialState: states)

        func weight(_ name: String) -> String { g.constant(parameters.onnxTensor(name)) }
        func transposed(_ value: String, _ perm: [Int]) -> String { g.apply("Transpose", [value], [("perm", .ints(perm))]) }
        func times(_ value: String, weightOf name: String) -> String {
            g.apply("MatMul", [value, transposed(weight(name), [1, 0])])
        }
        let queries = transposed(top, [1, 0, 2])  // [B, T, H]
        let memory = transposed("memory", [1, 0, 2])  // [B, Ts, M]
        var scores: String  // [B, T, Ts]
        switch score {
        case .dot: scores = g.apply("MatMul", [queries, transposed(memory, [0, 2, 1])])
        case .general:
            let keys = times(memory, weightOf: "attention.weight")  // [B, Ts, H]
            scores = g.apply("MatMul", [queries, transposed(keys, [0, 2, 1])])
        case .additive:
            let q = g.apply("Add", [times(queries, weightOf: "attention.query.weight"), weight("attention.query.bias")])
            let k = times(memory, weightOf: "attention.key.weight")
            let pairs = g.apply(
                "Tanh",
                [g.apply("Add", [g.apply("Unsqueeze", [q], [("axes", .ints([2]))]), g.apply("Unsqueeze", [k], [("axes", .ints([1]))])])])
            scores = g.apply("Squeeze", [times(pairs, weightOf: "attention.v.weight")], [("axes", .ints([3]))])
        }
        // The mask: position s < memory_lengths[b] (a length of 0: every position).
        let sourceSteps = g.dimension("memory", axis: 0)
        let positions = g.apply(
            "Slice",
            [
                g.constant(
                    ONNXTensor(
                        name: g.fresh("positions"), dimensions: [Self.maximumSourceLength],
                        int32: (0..<Self.maximumSourceLength).map { Int32($0) })),
                g.int64s([0]), sourceSteps, g.int64s([0]),
            ])
        let memoryLengths = g.apply("Expand", ["memory_lengths", batch])
        let zero = g.constant(ONNXTensor(name: g.fresh("zero"), dimensions: [1], int32: [0]))
        let steps = g.apply("Cast", [sourceSteps], [("to", .int(ONNXTensor.ElementType.int32.rawValue))])
        let valid = g.apply("Where", [g.apply("Equal", [memoryLengths, zero]), steps, memoryLengths])
        let inside = g.apply(
            "Unsqueeze", [g.apply("Less", [positions, g.apply("Unsqueeze", [valid], [("axes", .ints([1]))])])], [("axes", .ints([1]))])
        let floor = g.constant(ONNXTensor(name: g.fresh("masked"), dimensions: [1], floats: [-1e30]))
        scores = g.apply("Where", [inside, scores, floor])
        let weights = g.apply("Softmax", [scores], [("axis", .int(2))])  // opset 10: rows of Ts
        let context = g.apply("MatMul", [weights, memory])  // [B, T, M]
        let joined = g.apply("Concat", [context, queries], [("axis", .int(2))])
        let attended = g.apply("Tanh", [times(joined, weightOf: "attention.combine.weight")])  // [B, T, H]
        let logits = g.linear(transposed(attended, [1, 0, 2]), weight: weight("fc.weight"), bias: weight("fc.bias"), output: "logits")
        g.output(ONNXValueInfo(name: logits, elementType: .float, dimensions: [.symbol("T"), .symbol("B"), .size(V)]))
        g.stateOutputs(finals, cell: r.cell, blocks: r.numLayers, hiddenSize: H)
        _ = g.apply("Transpose", [weights], output: "attention", [("perm", .ints([1, 0, 2]))])
        g.output(ONNXValueInfo(name: "attention", elementType: .float, dimensions: [.symbol("T"), .symbol("B"), .symbol("S")]))
        if softmax {
            _ = g.apply("Softmax", [logits], output: "probabilities", [("axis", .int(2))])
            g.output(ONNXValueInfo(name: "probabilities", elementType: .float, dimensions: [.symbol("T"), .symbol("B"), .size(V)]))
        }
        return g.graph
    }
}
