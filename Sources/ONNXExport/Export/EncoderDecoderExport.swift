import RNN

extension EncoderDecoderModel: ONNXExportable {
    /// Two graphs. `encoder`: `tokens` (the source) and `lengths` to `hn` (`cn`)
    /// `[L, B, H]`, the decoder's initial state (through the bridge `bridge.*` of a
    /// bidirectional encoder); `decoder`: `tokens` (the start token, then each token
    /// generated), `h0` (`c0`) to `logits` `[T, B, V]`, `hn` (`cn`). With attention the
    /// encoder also returns `memory` `[Ts, B, M]`, which the decoder reads with
    /// `memory_lengths` (the source lengths) and returns `attention` `[T, B, Ts]` too
    /// (`AttentionDecoderGraph`).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        let c = configuration
        if c.inputFeeding {
            throw .unsupported(
                "the encoder-decoder with input feeding has no ONNX form yet (each decoder step reads the previous step's attentional state); train without input feeding to export"
            )
        }
        guard options.inputScaling == nil && options.outputScaling == nil else {
            throw .unsupported("the encoder-decoder reads and returns tokens; scaling applies to dense inputs and values")
        }
        guard options.input == .tokens else {
            throw .unsupported("the encoder-decoder reads source and target tokens, so its graphs cannot take vectors")
        }
        let bridge =
            c.bidirectionalEncoder
            ? zip(["bridge.", "bridge_cell."], 0..<c.recurrent.cell.stateParts).map {
                (weight: "\($0.0)weight", bias: "\($0.0)bias")
            } : nil
        var encoderGraph = SequenceGraph(
            name: "encoder_decoder_encoder", recurrent: c.encoderRecurrent, prefix: "encoder.",
            input: .oneHot(depth: c.sourceVocabularySize), head: .state(bridge: bridge), softmax: false)
        encoderGraph.memoryOutput = c.attention != nil
        let encoder = encoderGraph.build(parameters)
        let decoder =
            c.attention.map { AttentionDecoderGraph(configuration: c, score: $0, softmax: options.softmax).build(parameters) }
            ?? SequenceGraph(
                name: "encoder_decoder_decoder", recurrent: c.recurrent, prefix: "decoder.",
                input: .oneHot(depth: c.targetVocabularySize), head: .everyStep(weight: "fc.weight", bias: "fc.bias"),
                softmax: options.softmax
            ).build(parameters)
        return [
            ONNXExportedGraph(role: "encoder", graph: encoder, configuration: c, options: options),
            ONNXExportedGraph(role: "decoder", graph: decoder, configuration: c, options: options),
        ]
    }
}
