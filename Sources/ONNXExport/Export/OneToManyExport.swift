import RNN

extension OneToManyModel: ONNXExportable {
    /// Two graphs. `initial_state`: `features` float `[B, F]` to `hn` (`cn`) `[L, B, H]`
    /// through `init.*`; `decoder`: `tokens` (the start token, then each token generated),
    /// `h0` (`c0`) to `logits` `[T, B, V]`, `hn` (`cn`).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        let c = configuration, r = c.recurrent, H = r.hiddenSize, L = r.numLayers
        guard options.inputScaling == nil && options.outputScaling == nil else {
            throw .unsupported("the one-to-many model reads and returns tokens; scaling applies to dense inputs and values")
        }
        guard options.input == .tokens else {
            throw .unsupported("the one-to-many model's decoder reads the tokens it generates, so its graph cannot take vectors")
        }
        var g = GraphBuilder(name: "one_to_many_initial_state")
        g.input(ONNXValueInfo(name: "features", elementType: .float, dimensions: [.symbol("B"), .size(c.featureSize)]))
        let rows = g.linear(
            "features", weight: g.constant(parameters.onnxTensor("init.weight")),
            bias: g.constant(parameters.onnxTensor("init.bias")))
        // Row b is [block 0 | block 1 | ...] (blocks: parts · L): [B, parts·L, H] → [parts·L, B, H].
        let blocks = g.apply(
            "Transpose", [g.apply("Reshape", [rows, g.int64s([0, r.cell.stateParts * L, H])])], [("perm", .ints([1, 0, 2]))])
        let parts = (0..<r.cell.stateParts).map { g.slice(blocks, axis: 0, $0 * L..<($0 + 1) * L) }
        g.stateOutputs(parts, cell: r.cell, blocks: L, hiddenSize: H)
        let decoder = SequenceGraph(
            name: "one_to_many_decoder", recurrent: r, prefix: "rnn.", input: .oneHot(depth: c.vocabularySize),
            head: .everyStep(weight: "fc.weight", bias: "fc.bias"), softmax: options.softmax
        ).build(parameters)
        return [
            ONNXExportedGraph(role: "initial_state", graph: g.graph, configuration: c, options: options),
            ONNXExportedGraph(role: "decoder", graph: decoder, configuration: c, options: options),
        ]
    }
}
