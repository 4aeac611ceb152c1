import RNN

extension ForecastModel: ONNXExportable {
    /// One graph: `inputs` float `[T, B, inputSize]` (the window, in the units the model
    /// was trained in) to `outputs` `[B, horizon · targetCount · quantiles]`, then `hn`
    /// (`cn`); no softmax (a forecast is not a distribution over classes).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        if let problem = options.scalingProblem(inputs: configuration.inputSize, outputs: configuration.outputSize) {
            throw .unsupported(problem)
        }
        guard !options.softmax else {
            throw .unsupported("a forecaster's outputs are values, not class scores, so its graph has no softmax")
        }
        let c = configuration
        let graph = SequenceGraph(
            name: Configuration.architecture, recurrent: c.recurrent, prefix: "rnn.", input: .vectors(width: c.inputSize),
            head: .lastStep(weight: "fc.weight", bias: "fc.bias"), softmax: false, outputName: "outputs",
            inputScaling: options.inputScaling, outputScaling: options.outputScaling
        ).build(parameters)
        return [ONNXExportedGraph(role: "model", graph: graph, configuration: c, options: options)]
    }
}
