import Linalg

/// The layers of a stack-with-output-layer model (`ManyToManyModel`, `ManyToOneModel`):
/// an optional embedding, the recurrent stack, the output layer, and the dropout sites
/// between them — site 0 the embedding's output, sites `1..<L` the inputs of the upper
/// recurrent layers (inside the stack), site `L` the top layer's output before `fc`.
///
/// A training forward takes a `DropoutNoise` (nil: evaluation, no dropout); the backward
/// helpers then run through the same masks.
final class StackWithOutput {
    let embedding: Embedding?
    let rnn: RecurrentStack
    let fc: Linear
    /// The configuration's dropout probability and seed.
    let dropoutRate: Float
    let dropoutSeed: UInt64
    private let inputDropout = DropoutSite(site: 0)
    private let outputDropout: DropoutSite
    /// The output layer's input after dropout, `[rows, H]`.
    private let droppedOutput = FloatBuffer()
    /// The embedding's tokens of the last forward.
    private var tokens: [Int32] = []
    /// The noise of the last forward (nil: it was an evaluation).
    private(set) var noise: DropoutNoise?

    init(embedding: Embedding?, rnn: RecurrentStack, fc: Linear, dropout: Float, dropoutSeed: UInt64) {
        self.embedding = embedding
        self.rnn = rnn
        self.fc = fc
        dropoutRate = dropout
        self.dropoutSeed = dropoutSeed
        outputDropout = DropoutSite(site: rnn.numLayers)
    }

    /// The noise of training step `step` for a batch whose first sequence is
    /// `firstSequence` of the whole batch; nil without dropout.
    func trainingNoise(step: Int, firstSequence: Int) -> DropoutNoise? {
        dropoutRate > 0 ? DropoutNoise(rate: dropoutRate, seed: dropoutSeed, step: step, firstSequence: firstSequence) : nil
    }

    /// Runs the embedding (with its dropout) and the stack over `input`.
    /// - Precondition: token input when there is an embedding.
    /// `lengths`: each sequence's, where a bidirectional stack's reverse direction starts.
    func forward(
        _ input: SequenceInput, batchSize B: Int, initialState: [Float]?, noise: DropoutNoise?,
        lengths: [Int]? = nil
    ) {
        guard let h0 = initialState else { return forward(input, batchSize: B, state: nil, noise: noise, lengths: lengths) }
        precondition(
            h0.count == rnn.stateSize(batchSize: B),
            "initialState has \(h0.count) elements, expected \(rnn.stateSize(batchSize: B))")
        h0.withUnsafeBufferPointer { forward(input, batchSize: B, state: $0.baseAddress!, noise: noise, lengths: lengths) }
    }

    /// `forward` from the state at `state` (`rnn.stateSize(batchSize: B)` values; nil: zeros).
    func forward(
        _ input: SequenceInput, batchSize B: Int, state: UnsafePointer<Float>?, noise: DropoutNoise?,
        lengths: [Int]? = nil
    ) {
        self.noise = noise
        guard let embedding else {
            return rnn.forward(input, batchSize: B, state: state, dropout: noise, lengths: lengths)
        }
        guard case .tokens(let t) = input else {
            preconditionFailure("a model with an embedding takes token input, not vectors")
        }
        tokens.removeAll(keepingCapacity: true)
        tokens.append(contentsOf: t)
        let rows = t.count, E = embedding.embeddingSize
        rnn.forward(denseRows: rows, batchSize: B, initialState: state, dropout: noise, lengths: lengths) { x in
            tokens.withUnsafeBufferPointer { embedding.forward($0.baseAddress!, rows: rows, into: x) }
            if let noise {
                inputDropout.forward(noise, steps: rows / B, batchSize: B, width: E, x, into: x)
            }
        }
    }

    /// The output layer's input for the `[T*B, D·H]` rows `h` (`T` = `steps`): `h` itself,
    /// or after a training forward `h` with dropout (valid until the next call).
    func outputLayerInput(_ h: UnsafePointer<Float>, steps T: Int, batchSize B: Int) -> UnsafePointer<Float> {
        guard let noise else { return h }
        let H = rnn.outputWidth
        droppedOutput.resize(T * B * H)
        outputDropout.forward(noise, steps: T, batchSize: B, width: H, h, into: droppedOutput.pointer)
        return UnsafePointer(droppedOutput.pointer)
    }

    /// What the output layer's products read for `outputLayerInput`'s rows of the stack's
    /// outputs: the stack's rounded states where it kept them (`outputsOperand`), unless
    /// dropout made other rows.
    var outputLayerOperand: PrecisionGEMM.Operand { noise == nil ? rnn.outputsOperand : .activation }

    /// d(loss)/d(output layer input) `[rows, H]` to d(loss)/d(`h`), in place (the mask
    /// of `outputLayerInput`).
    func outputLayerInputBackward(_ gradient: UnsafeMutablePointer<Float>, rows: Int) {
        if noise != nil { outputDropout.backward(gradient, count: rows * rnn.outputWidth) }
    }

    /// After `rnn.backward()`: the embedding's gradient (through its dropout mask).
    func backwardInput() {
        guard let embedding else { return }
        let rows = tokens.count, dx = rnn.inputGradientPointer()
        if noise != nil { inputDropout.backward(dx, count: rows * embedding.embeddingSize) }
        tokens.withUnsafeBufferPointer { embedding.backward($0.baseAddress!, rows: rows, outputGradient: dx) }
    }

    /// Initializes every layer: the stack by `initialization`, then `fc` (PyTorch's
    /// defaults; a tied `fc` only its bias), then the embedding — `N(0, 1)` as
    /// `nn.Embedding`, or tied `U(-0.1, 0.1)` as word_language_model's `init_weights`, so
    /// that it also suits the output layer. A model without an embedding draws exactly
    /// what it drew before embeddings existed.
    func initialize(_ initialization: RecurrentInitialization, using rng: inout SeededRandom) {
        rnn.initialize(initialization, using: &rng)
        fc.initialize(using: &rng)
        embedding?.initialize(uniformBound: fc.isWeightShared ? 0.1 : nil, using: &rng)
    }
}
