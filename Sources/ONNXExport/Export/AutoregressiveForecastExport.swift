import RNN

extension AutoregressiveForecastModel: ONNXExportable {
    /// Two graphs, the form a deployment steps. `encoder`: `inputs` float `[T, B, I]` (the
    /// window) to `hn` (`cn`) `[L, B, H]`, the decoder's initial state; `decoder`: `inputs`
    /// `[T, B, K]` (the targets' previous values: the window's last, then each forecast's
    /// point value), `h0` (`c0`) to `outputs` `[T, B, K · quantiles]`, `hn` (`cn`).
    /// `inputScaling` (I features) scales the encoder's inputs and, its first K, the
    /// decoder's; `outputScaling` (K · quantiles values) maps each step's outputs back.
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        let c = configuration, K = c.targetCount
        if let problem = options.scalingProblem(inputs: c.inputSize, outputs: c.stepOutputSize) { throw .unsupported(problem) }
        guard !options.softmax else {
            throw .unsupported("a forecaster's outputs are values, not class scores, so its graph has no softmax")
        }
        let decoderScaling = options.inputScaling.map {
            ONNXExportOptions.Scaling(offset: Array($0.offset.prefix(K)), scale: Array($0.scale.prefix(K)))
        }
        let encoderGraph = SequenceGraph(
            name: "autoregressive_forecaster_encoder", recurrent: c.recurrent, prefix: "encoder.",
            input: .vectors(width: c.inputSize), head: .state(bridge: nil), softmax: false, inputScaling: options.inputScaling
        ).build(parameters)
        let decoderGraph = SequenceGraph(
            name: "autoregressive_forecaster_decoder", recurrent: c.recurrent, prefix: "decoder.", input: .vectors(width: K),
            head: .everyStep(weight: "fc.weight", bias: "fc.bias"), softmax: false, outputName: "outputs",
            inputScaling: decoderScaling, outputScaling: options.outputScaling
        ).build(parameters)
        return [
            ONNXExportedGraph(role: "encoder", graph: encoderGraph, configuration: c, options: options),
            ONNXExportedGraph(role: "decoder", graph: decoderGraph, configuration: c, options: options),
        ]
    }
}
