import Linalg

/// Encoder-decoder (sequence to sequence): a many-to-one encoder reads a
/// variable-length source; its state after each sequence's own last step is the
/// initial state of a one-to-many decoder, which emits the target (of another length)
/// under teacher forcing and greedily at inference.
///
/// Parameters: `encoder.*` and `decoder.*` (recurrent stacks of one cell kind, same `H` and `L`),
/// `fc.weight` [V_out, H], `fc.bias`. With **attention** (`Configuration.attention`, an
/// `AttentionScore`) each decoder step also attends to the encoder's outputs, masked by the
/// source's length, and the output layer reads the attentional state `tanh(W_c [c_t; h_t])`
/// (`Attention`; parameters `attention.*`); `attentionWeights` and `decode` show where it
/// looked. With **input feeding** (`Configuration.inputFeeding`, Luong's) the decoder also
/// reads the previous step's attentional state: its input is `[one-hot(y); h̃]`, `V + H` wide
/// (`decoder.weight_ih_l0` `[G·H, V + H]`), and its steps run one at a time. With a **bidirectional encoder** (`Configuration.bidirectionalEncoder`) the
/// encoder reads each source both ways within its own length, and `EncoderBridge` maps its
/// two final states per layer to the decoder's (`bridge.weight` [H, 2H], `bridge.bias`; for
/// the LSTM also `bridge_cell.*`).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// // Reverse strings over 8 letters; decoder tokens 8 = start, 9 = end.
/// let model = EncoderDecoderModel(sourceVocabularySize: 8, targetVocabularySize: 10, hiddenSize: 64,
///                                 startToken: 8, endToken: 9, using: &rng)
/// let batch = EncoderDecoderModel.Batch(source: s, sourceLengths: ls, targets: t, batchSize: B)
/// let loss = model.computeGradients(batch)
/// let reversed = model.translate([3, 1, 4], maxLength: 10)   // [4, 1, 3] once trained
/// let best = model.decode([[3, 1, 4]], BeamSearch(width: 5))[0][0].tokens   // beam search
/// ```
/// - Complexity: the sum of the encoder's and the decoder's costs; allocates only when
///   `(B, T)` grow.
public final class EncoderDecoderModel: SequenceModel {
    public let parameters = ParameterStore()
    public let encoder: RecurrentStack
    public let decoder: RecurrentStack
    public let fc: Linear
    public let startToken: Int32
    public let endToken: Int32
    let head: TeacherForcedDecoder
    /// The teacher-forced decoder of an input-feeding model (instead of `head`).
    let feedingHead: InputFeedingDecoder?
    /// Between the decoder and `fc`, when the configuration has a score.
    let attention: Attention?
    /// With a bidirectional encoder: its final state to the decoder's initial state.
    let bridge: EncoderBridge?
    /// The encoder's final state and its gradient; with a bridge, the decoder's initial
    /// state and its gradient too.
    var encodedState: [Float] = []
    var encodedStateGradient: [Float] = []
    var bridgedState: [Float] = []
    var bridgedStateGradient: [Float] = []

    public var profiler: PhaseProfiler? {
        didSet { encoder.profiler = profiler; decoder.profiler = profiler; head.profiler = profiler }
    }

    /// Source and target vocabularies (the start and end tokens are target tokens), and the
    /// configuration of both stacks (`Codable`: a checkpoint stores it as one JSON object).
    public struct Configuration: ModelConfiguration {
        /// The initial state is computed (from the features / by the encoder), not carried.
        public static let carriesState = false
        public static let architecture = "encoder_decoder"
        public var sourceVocabularySize: Int
        public var targetVocabularySize: Int
        public var startToken: Int32
        public var endToken: Int32
        /// The decoder's stack, and the encoder's but for its directions.
        public var recurrent: RecurrentConfiguration
        /// The encoder reads each source both ways; a bridge makes the decoder's state.
        public var bidirectionalEncoder: Bool
        /// How each decoder step scores the source positions, or nil: no attention (the
        /// encoder's final state alone carries the source).
        public var attention: AttentionScore?
        /// Luong's input feeding: each decoder step also reads the previous attentional state
        /// (needs `attention`). Absent in older checkpoints: false.
        public var inputFeeding: Bool

        public init(
            sourceVocabularySize: Int, targetVocabularySize: Int, startToken: Int32, endToken: Int32,
            recurrent: RecurrentConfiguration, bidirectionalEncoder: Bool = false, attention: AttentionScore? = nil,
            inputFeeding: Bool = false
        ) {
            precondition(
                startToken >= 0 && Int(startToken) < targetVocabularySize && endToken >= 0
                    && Int(endToken) < targetVocabularySize, "the start and end tokens must be target tokens")
            precondition(!recurrent.bidirectional, Self.bidirectionalProblem)
            self.sourceVocabularySize = sourceVocabularySize
            self.targetVocabularySize = targetVocabularySize
            self.startToken = startToken
            self.endToken = endToken
            self.recurrent = recurrent
            self.bidirectionalEncoder = bidirectionalEncoder
            self.attention = attention
            self.inputFeeding = inputFeeding
        }

        private enum CodingKeys: String, CodingKey {
            case sourceVocabularySize, targetVocabularySize, startToken, endToken, recurrent, bidirectionalEncoder, attention
            case inputFeeding
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sourceVocabularySize = try c.decode(Int.self, forKey: .sourceVocabularySize)
            targetVocabularySize = try c.decode(Int.self, forKey: .targetVocabularySize)
            startToken = try c.decode(Int32.self, forKey: .startToken)
            endToken = try c.decode(Int32.self, forKey: .endToken)
            recurrent = try c.decode(RecurrentConfiguration.self, forKey: .recurrent)
            bidirectionalEncoder = try c.decode(Bool.self, forKey: .bidirectionalEncoder)
            attention = try c.decodeIfPresent(AttentionScore.self, forKey: .attention)
            inputFeeding = try c.decodeIfPresent(Bool.self, forKey: .inputFeeding) ?? false
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(sourceVocabularySize, forKey: .sourceVocabularySize)
            try c.encode(targetVocabularySize, forKey: .targetVocabularySize)
            try c.encode(startToken, forKey: .startToken)
            try c.encode(endToken, forKey: .endToken)
            try c.encode(recurrent, forKey: .recurrent)
            try c.encode(bidirectionalEncoder, forKey: .bidirectionalEncoder)
            try c.encodeIfPresent(attention, forKey: .attention)
            if inputFeeding { try c.encode(true, forKey: .inputFeeding) }
        }

        public var problem: String? {
            if let problem = recurrent.problem ?? RecurrentConfiguration.sizeProblem("source vocabulary size", sourceVocabularySize)
                ?? RecurrentConfiguration.sizeProblem("target vocabulary size", targetVocabularySize)
            {
                return problem
            }
            if recurrent.bidirectional { return Self.bidirectionalProblem }
            if inputFeeding && attention == nil {
                return "input feeding feeds the attentional state to the decoder, so it needs an attention score"
            }
            if attention == .dot && bidirectionalEncoder {
                return
                    "a dot attention score needs encoder outputs as wide as the decoder's, and a bidirectional encoder's are twice as wide: use the general or additive score"
            }
            for (name, token) in [("start", startToken), ("end", endToken)] where !(token >= 0 && Int(token) < targetVocabularySize) {
                return "the \(name) token \(token) is not a token of the target vocabulary of \(targetVocabularySize)"
            }
            return nil
        }

        /// The encoder's stack: `recurrent`, in both directions with `bidirectionalEncoder`.
        public var encoderRecurrent: RecurrentConfiguration {
            var encoder = recurrent
            encoder.bidirectional = bidirectionalEncoder
            return encoder
        }

        /// `M`: the width of the encoder's outputs, which attention reads (`2H` when bidirectional).
        public var memoryWidth: Int { (bidirectionalEncoder ? 2 : 1) * recurrent.hiddenSize }

        /// The decoder stack's input width: the target vocabulary, and `H` more with input feeding.
        public var decoderInputSize: Int { targetVocabularySize + (inputFeeding ? recurrent.hiddenSize : 0) }

        /// Why `recurrent` cannot be bidirectional: it describes the decoder too.
        package static let bidirectionalProblem =
            "the decoder reads each token it has just generated, so it runs forward only (a bidirectional encoder is bidirectional_encoder)"

        /// `encoder.*`, with a bidirectional encoder `bridge.*` (and `bridge_cell.*`),
        /// `decoder.*`, `fc.weight` [V_out, H], `fc.bias` [V_out].
        public var parameterShapes: [ParameterShape] {
            encoderRecurrent.parameterShapes(inputSize: sourceVocabularySize, prefix: "encoder.")
                + (bidirectionalEncoder ? EncoderBridge.parameterShapes(recurrent) : [])
                + recurrent.parameterShapes(inputSize: decoderInputSize, prefix: "decoder.")
                + (attention.map { Attention.parameterShapes($0, queryWidth: recurrent.hiddenSize, memoryWidth: memoryWidth) } ?? [])
                + Linear.parameterShapes(inputSize: recurrent.hiddenSize, outputSize: targetVocabularySize, prefix: "fc.")
        }

        public var summary: String {
            "\(recurrent.summary), source_vocabulary_size \(sourceVocabularySize), target_vocabulary_size \(targetVocabularySize)"
                + (bidirectionalEncoder ? ", bidirectional encoder" : "") + (attention.map { ", \($0.rawValue) attention" } ?? "")
                + (inputFeeding ? ", input feeding" : "")
        }

        public var hasBidirectionalLayers: Bool { bidirectionalEncoder }

        /// Both stacks' FLOPs (token input) over `steps` rows each (the source and the
        /// target lengths differ; `steps` stands for both), the output layer's 6HV, and per
        /// sequence the bridge's forward, `dW` and `dX` (6·parts·L·2H·H); with attention, per
        /// target token its scores and context over `steps` source positions (6·steps·(H + M)),
        /// the combine layer (6·(M + H)·H) and the score's projections (6·M·H per source token,
        /// and 6·H·H per target token for `additive`).
        public func trainingFlops(batchSize: Int, steps: Int) -> Double {
            let encoder = encoderRecurrent.trainingFlopsPerToken(tokenInput: true, inputSize: sourceVocabularySize)
            let decoder = recurrent.trainingFlopsPerToken(tokenInput: !inputFeeding, inputSize: decoderInputSize)
            let H = Double(recurrent.hiddenSize)
            let bridge = bidirectionalEncoder ? 6 * Double(recurrent.stateBlocks) * 2 * H * H * Double(batchSize) : 0
            let M = Double(memoryWidth), T = Double(steps)
            let attended: Double =
                switch attention {
                case nil: 0
                case .dot: 6 * T * (H + M) + 6 * (M + H) * H
                case .general: 6 * T * (H + M) + 6 * (M + H) * H + 6 * M * H
                case .additive: 6 * T * (H + M) + 6 * (M + H) * H + 6 * M * H + 6 * H * H
                }
            return (encoder + decoder + attended + 6 * H * Double(targetVocabularySize)) * Double(batchSize * steps) + bridge
        }
    }

    /// `B` source sequences (padded, each with its length) and their target sequences.
    public struct Batch: SequenceBatch {
        /// `[Ts*B]` source tokens, time-major.
        public var source: [Int32]
        /// `[B]` source lengths in `1...Ts`.
        public var sourceLengths: [Int]
        /// `[Tt*B]` target tokens, `-1` after a target's end.
        public var targets: [Int32]
        public var batchSize: Int

        public init() {
            self.init(source: [], sourceLengths: [], targets: [], batchSize: 0)
        }

        public init(source: [Int32], sourceLengths: [Int], targets: [Int32], batchSize: Int) {
            precondition(sourceLengths.count == batchSize, "\(sourceLengths.count) source lengths for a batch of \(batchSize)")
            self.source = source
            self.sourceLengths = sourceLengths
            self.targets = targets
            self.batchSize = batchSize
        }

        public var countedTargets: Int { SoftmaxCrossEntropy.countedTargets(targets) }

        public mutating func takeSequences(_ range: Range<Int>, of batch: Batch, stateBlocks: Int) {
            let B = batch.batchSize
            TimeMajor.gather(batch.source, width: 1, steps: batch.source.count / B, batchSize: B, sequences: range, into: &source)
            TimeMajor.gather(batch.sourceLengths, width: 1, steps: 1, batchSize: B, sequences: range, into: &sourceLengths)
            TimeMajor.gather(batch.targets, width: 1, steps: batch.targets.count / B, batchSize: B, sequences: range, into: &targets)
            batchSize = range.count
        }
    }

    public var configuration: Configuration {
        Configuration(
            sourceVocabularySize: encoder.inputSize, targetVocabularySize: fc.outputSize, startToken: startToken,
            endToken: endToken, recurrent: decoder.configuration, bidirectionalEncoder: encoder.isBidirectional,
            attention: attention?.score, inputFeeding: feedingHead != nil)
    }

    public init(_ configuration: Configuration, using rng: inout SeededRandom) {
        let c = configuration, r = c.recurrent
        precondition(c.problem == nil, c.problem ?? "")
        encoder = c.encoderRecurrent.makeStack(inputSize: c.sourceVocabularySize, parameters: parameters, prefix: "encoder.")
        bridge = c.bidirectionalEncoder ? EncoderBridge(r, parameters: parameters) : nil
        decoder = r.makeStack(inputSize: c.decoderInputSize, parameters: parameters, prefix: "decoder.")
        let store = parameters
        attention = c.attention.map { Attention($0, queryWidth: r.hiddenSize, memoryWidth: c.memoryWidth, parameters: store) }
        fc = Linear(inputSize: r.hiddenSize, outputSize: c.targetVocabularySize, parameters: parameters, prefix: "fc.")
        startToken = c.startToken
        endToken = c.endToken
        head = TeacherForcedDecoder(rnn: decoder, fc: fc, startToken: startToken, attention: attention)
        feedingHead =
            c.inputFeeding ? InputFeedingDecoder(rnn: decoder, fc: fc, attention: attention!, startToken: startToken) : nil
        encoder.initialize(using: &rng)
        decoder.initialize(using: &rng)
        fc.initialize(using: &rng)
        bridge?.initialize(using: &rng)
        attention?.initialize(using: &rng)
    }

    public convenience init(
        sourceVocabularySize: Int, targetVocabularySize: Int, hiddenSize: Int, numLayers: Int = 1,
        cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh, startToken: Int32, endToken: Int32,
        attention: AttentionScore? = nil, using rng: inout SeededRandom
    ) {
        self.init(
            Configuration(
                sourceVocabularySize: sourceVocabularySize, targetVocabularySize: targetVocabularySize,
                startToken: startToken, endToken: endToken,
                recurrent: RecurrentConfiguration(
                    cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
                    nonlinearity: cell == .rnn ? nonlinearity : .tanh),
                attention: attention),
            using: &rng)
    }

    /// Encodes the source and decodes the targets under teacher forcing; with `backward`,
    /// backpropagates through the decoder into the encoder. Returns the mean cross-entropy.
    private func run(_ batch: Batch, backward: Bool) -> Double {
        let B = batch.batchSize
        encoder.forward(.tokens(batch.source), batchSize: B, lengths: batch.sourceLengths)
        encoder.finalState(lengths: batch.sourceLengths, into: &encodedState)
        bridge?.forward(encodedState, batchSize: B, into: &bridgedState)
        if let attention {
            encoder.withOutputs { e in
                attention.attend(memory: e.baseAddress!, steps: encoder.steps, batchSize: B, lengths: batch.sourceLengths)
            }
        }
        let initial = bridge == nil ? encodedState : bridgedState
        let loss =
            feedingHead?.run(targets: batch.targets, batchSize: B, initialState: initial, backward: backward)
            ?? head.run(targets: batch.targets, batchSize: B, initialState: initial, backward: backward)
        if backward {
            if let bridge {
                decoder.withInitialStateGradient { bridge.backward($0, batchSize: B, into: &encodedStateGradient) }
            } else {
                if encodedStateGradient.count != encodedState.count { encodedStateGradient = encodedState }
                decoder.withInitialStateGradient { g in
                    encodedStateGradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: g.baseAddress!, count: g.count) }
                }
            }
            if let attention {
                encoder.withOutputGradient { g in
                    let d = attention.memoryGradient
                    for i in 0..<d.count { g[i] += d.pointer[i] }
                }
            }
            encoder.backward(finalStateGradient: encodedStateGradient, lengths: batch.sourceLengths)
        }
        return loss
    }

    /// Zeroes gradients; encodes `batch.source` (sequence `b` valid for `sourceLengths[b]`
    /// steps), decodes `batch.targets` with teacher forcing, and backpropagates through
    /// decoder and encoder. Returns the mean cross-entropy over the counted target tokens.
    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        return run(batch, backward: true)
    }

    /// `computeGradients` of the batch of these arguments (see `Batch`).
    @discardableResult
    public func computeGradients(source: [Int32], sourceLengths: [Int], targets: [Int32], batchSize B: Int) -> Double {
        computeGradients(Batch(source: source, sourceLengths: sourceLengths, targets: targets, batchSize: B))
    }

    /// The mean cross-entropy of the targets under teacher forcing (no gradients).
    public func loss(_ batch: Batch) -> Double { run(batch, backward: false) }

    /// `loss` of the batch of these arguments.
    public func loss(source: [Int32], sourceLengths: [Int], targets: [Int32], batchSize B: Int) -> Double {
        loss(Batch(source: source, sourceLengths: sourceLengths, targets: targets, batchSize: B))
    }
}
