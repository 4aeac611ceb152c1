import RNN

extension EncoderDecoderModel: ONNXExportable {
    /// Two graphs. `encoder`: `tokens` (the source) and `lengths` to `hn` (`cn`)
    /// `[L, B, H]`, the decoder's initial state (through the bridge `bridge.*` of a
    /// bidirectional encoder); `decoder`: `tokens` (the start token, then each token
    /// generated), `h0` (`c0`) to `logits` `[T, B, V]`, `hn` (`cn`).
    public func onnxModels(_ options: ONNXExportOptions) throws(ONNXExportError) -> [ONNXExportedGraph] {
        let c = configuration
        if let score = c.attention {
            throw .unsupported(
                "the encoder-decoder with \(score.rawValue) attention has no ONNX form yet (its decoder reads the encoder's outputs at every step); models without attention export"
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
        let encoder = SequenceGraph(
            name: "encoder_decoder_encoder", recurrent: c.encoderRecurrent, prefix: "encoder.",
            input: .oneHot(depth: c.sourceVocabularySize), head: .state(bridge: bridge), softmax: false
        ).build(parameters)
        let decoder = SequenceGraph(
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
