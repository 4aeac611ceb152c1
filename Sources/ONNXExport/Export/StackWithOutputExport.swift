import RNN

extension StackWithOutputConfiguration {
    /// The one graph of a stack-with-output model: `tokens` (one-hot, or through
    /// `embedding.weight`) or `inputs`, the stack `rnn.*`, `fc.*` (`embedding.weight` when
    /// tied) at every step or at each sequence's last.
    func onnxGraph(_ parameters: ParameterStore, options: ONNXExportOptions) throws(ONNXExportError) -> ONNXExportedGraph {
        let input: SequenceGraph.Input
        switch (embeddingSize > 0, options.input) {
        case (true, .tokens): input = .embedding(weight: "embedding.weight")
        case (true, .vectors):
            throw .unsupported("the model reads tokens through its embedding, so its graph cannot take vectors")
        case (false, .tokens): input = .oneHot(depth: inputSize)
        case (false, .vectors): input = .vectors(width: inputSize)
        }
        let weight = tiedWeights ? "embedding.weight" : "fc.weight"
        let head: SequenceGraph.Head =
            Output.self == LastStep.self ? .lastStep(weight: weight, bias: "fc.bias") : .everyStep(weight: weight, bias: "fc.bias")
        if options.inputScaling != nil, embeddingSize > 0 || options.input == .tokens {
            throw .unsupported("input scaling applies to dense inputs (vectors), not tokens")
        }
        if let problem = options.scalingProblem(inputs: inputSize, outputs: outputSize) { throw .unsupported(problem) }
        let graph = SequenceGraph(
            name: Self.architecture, recurrent: recurrent, prefix: "rnn.", input: input, head: head, softmax: options.softmax,
            inputScaling: options.inputScaling, outputScaling: options.outputScaling
        ).build(parameters)
        return ONNXExportedGraph(role: "model", graph: graph, configuration: self, options: options)
    }
}

extension ManyToManyModel: ONNXExportable {
    /// One graph: `logits` `[T, B, O]` at every step, then `hn` (`cn`).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        [try configuration.onnxGraph(parameters, options: options)]
    }
}

extension ManyToOneModel: ONNXExportable {
    /// One graph: `logits` `[B, O]` at each sequence's last step (`lengths`), then `hn` (`cn`).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        [try configuration.onnxGraph(parameters, options: options)]
    }
}
