import Linalg

/// Encoder-decoder (sequence to sequence): a many-to-one encoder reads a
/// variable-length source; its state after each sequence's own last step is the
/// initial state of a one-to-many decoder, which emits the target (of another length)
/// under teacher forcing and greedily at inference.
///
/// Parameters: `encoder.*` and `decoder.*` (recurrent stacks of one cell kind, same `H` and `L`),
/// `fc.weight` [V_out, H], `fc.bias`.
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// // Reverse strings over 8 letters; decoder tokens 8 = start, 9 = end.
/// let model = EncoderDecoderModel(sourceVocabularySize: 8, targetVocabularySize: 10, hiddenSize: 64,
///                                 startToken: 8, endToken: 9, using: &rng)
/// let loss = model.computeGradients(source: s, sourceLengths: ls, targets: t, batchSize: B)
/// let reversed = model.translate([3, 1, 4], maxLength: 10)   // [4, 1, 3] once trained
/// ```
/// - Complexity: the sum of the encoder's and the decoder's costs.
public final class EncoderDecoderModel {
    public let parameters = ParameterStore()
    public let encoder: RecurrentStack
    public let decoder: RecurrentStack
    public let fc: Linear
    public let startToken: Int32
    public let endToken: Int32

    public init(sourceVocabularySize: Int, targetVocabularySize: Int, hiddenSize: Int, numLayers: Int = 1,
                cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh, startToken: Int32, endToken: Int32,
                using rng: inout SeededRandom) {
        encoder = RecurrentStack.make(cell, inputSize: sourceVocabularySize, hiddenSize: hiddenSize, numLayers: numLayers,
                                      nonlinearity: nonlinearity, parameters: parameters, prefix: "encoder.")
        decoder = RecurrentStack.make(cell, inputSize: targetVocabularySize, hiddenSize: hiddenSize, numLayers: numLayers,
                                      nonlinearity: nonlinearity, parameters: parameters, prefix: "decoder.")
        fc = Linear(inputSize: hiddenSize, outputSize: targetVocabularySize, parameters: parameters, prefix: "fc.")
        self.startToken = startToken
        self.endToken = endToken
        encoder.initialize(using: &rng)
        decoder.initialize(using: &rng)
        fc.initialize(using: &rng)
    }

    /// Zeroes gradients; encodes `source` (`[Ts*B]`, sequence `b` valid for
    /// `sourceLengths[b]` steps), decodes `targets` (`[Tt*B]`, `-1` after a target's
    /// end) with teacher forcing, and backpropagates through decoder and encoder.
    /// Returns the mean cross-entropy over the counted target tokens.
    @discardableResult
    public func computeGradients(source: [Int32], sourceLengths: [Int], targets: [Int32], batchSize B: Int) -> Double {
        parameters.zeroGradients()
        encoder.forward(.tokens(source), batchSize: B)
        let h0 = encoder.finalState(lengths: sourceLengths)
        let inputs = GreedyDecoder.teacherForcingInputs(targets: targets, batchSize: B, start: startToken)
        decoder.forward(.tokens(inputs), batchSize: B, initialState: h0)
        let h = decoder.outputs
        let (loss, dLogits) = SoftmaxCrossEntropy.compute(logits: fc.forward(h), targets: targets)
        let dh = fc.backward(dLogits, input: h)
        decoder.withOutputGradient { d in
            dh.storage.withUnsafeBufferPointer { d.baseAddress!.update(from: $0.baseAddress!, count: dh.count) }
        }
        decoder.backward()
        encoder.backward(finalStateGradient: decoder.initialStateGradient, lengths: sourceLengths)
        return Double(loss)
    }

    /// The mean cross-entropy of `targets` under teacher forcing (no gradients).
    public func loss(source: [Int32], sourceLengths: [Int], targets: [Int32], batchSize B: Int) -> Double {
        encoder.forward(.tokens(source), batchSize: B)
        let h0 = encoder.finalState(lengths: sourceLengths)
        let inputs = GreedyDecoder.teacherForcingInputs(targets: targets, batchSize: B, start: startToken)
        decoder.forward(.tokens(inputs), batchSize: B, initialState: h0)
        return Double(SoftmaxCrossEntropy.compute(logits: fc.forward(decoder.outputs), targets: targets).loss)
    }

    /// Greedy decoding of one source sequence, up to `maxLength` tokens or the end token.
    public func translate(_ source: [Int32], maxLength: Int) -> [Int32] {
        precondition(!source.isEmpty, "source must not be empty")
        encoder.forward(.tokens(source), batchSize: 1)
        return GreedyDecoder.decode(rnn: decoder, fc: fc, initialState: encoder.finalState(), batchSize: 1,
                                    start: startToken, length: maxLength, stop: endToken)[0]
    }
}
