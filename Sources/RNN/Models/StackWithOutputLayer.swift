import Linalg

/// Where a stack-with-output-layer model reads its outputs: the one difference between the
/// configurations of the many-to-many and the many-to-one models.
public protocol OutputPlacement: Sendable {
    /// The `architecture` metadata value.
    static var architecture: String { get }
    /// Rows the output layer sees per batch of `B` sequences of `T` steps.
    static func outputRows(batchSize: Int, steps: Int) -> Int
}

/// An output at every step (`ManyToManyModel`): `T·B` rows.
public enum EveryStep: OutputPlacement {
    public static let architecture = "many_to_many"
    public static func outputRows(batchSize: Int, steps: Int) -> Int { batchSize * steps }
}

/// One output per sequence, at its last step (`ManyToOneModel`): `B` rows.
public enum LastStep: OutputPlacement {
    public static let architecture = "many_to_one"
    public static func outputRows(batchSize: Int, steps: Int) -> Int { batchSize }
}

/// The configuration of a stack `rnn.*` over inputs of `inputSize` (token ids, or vectors
/// of that width), then `fc` to `outputSize` classes, read at `Output`'s rows
/// (`ManyToManyModel.Configuration`, `ManyToOneModel.Configuration`) — optionally with an
/// embedding before the stack, the output layer's weight tied to it, and dropout, as
/// pytorch/examples' word_language_model (`Embedding → dropout → LSTM(dropout) → dropout →
/// Linear`).
///
/// `Codable`: a checkpoint stores it as one JSON object (`inputSize`, `outputSize`,
/// `recurrent`, `embeddingSize`, `tiedWeights`, `dropout`, `dropoutSeed`).
public struct StackWithOutputConfiguration<Output: OutputPlacement>: ModelConfiguration {
    public static var architecture: String { Output.architecture }
    /// The stack's state runs from batch to batch (truncated BPTT, or a classifier's state).
    public static var carriesState: Bool { true }
    public var inputSize: Int
    public var outputSize: Int
    public var recurrent: RecurrentConfiguration
    /// 0: the stack reads the input itself (one-hot tokens as a gather, or vectors);
    /// `E > 0`: tokens go through `embedding.weight` `[inputSize, E]` first (`nn.Embedding`).
    public var embeddingSize: Int
    /// The output layer's weight is the embedding's (`fc.weight` is `embedding.weight`):
    /// needs an embedding with `E = H` and `inputSize = outputSize`.
    public var tiedWeights: Bool
    /// The probability of dropping an element in training at every dropout site: the
    /// embedding's output, between recurrent layers (`nn.LSTM(dropout:)`) and the top
    /// layer's output before `fc`. In `[0, 1)`; 0: no dropout. Evaluation never drops.
    public var dropout: Float
    /// The seed of the dropout masks (`DropoutNoise`).
    public var dropoutSeed: UInt64

    public init(
        inputSize: Int, outputSize: Int, recurrent: RecurrentConfiguration, embeddingSize: Int = 0,
        tiedWeights: Bool = false, dropout: Float = 0, dropoutSeed: UInt64 = 0
    ) {
        precondition(embeddingSize >= 0, "embeddingSize must be 0 (none) or positive, got \(embeddingSize)")
        precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
        if tiedWeights,
            let problem = Self.tyingProblem(
                inputSize: inputSize, outputSize: outputSize,
                embeddingSize: embeddingSize, hiddenSize: recurrent.hiddenSize,
                bidirectional: recurrent.bidirectional)
        {
            preconditionFailure(problem)
        }
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.recurrent = recurrent
        self.embeddingSize = embeddingSize
        self.tiedWeights = tiedWeights
        self.dropout = dropout
        self.dropoutSeed = dropoutSeed
    }

    public var problem: String? {
        if let problem = recurrent.problem ?? RecurrentConfiguration.sizeProblem("input size", inputSize)
            ?? RecurrentConfiguration.sizeProblem("output size", outputSize)
        {
            return problem
        }
        if !(0...RecurrentConfiguration.maximumHiddenSize).contains(embeddingSize) {
            return "embedding size \(embeddingSize) is outside 0...\(RecurrentConfiguration.maximumHiddenSize)"
        }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is outside [0, 1)" }
        if tiedWeights {
            return Self.tyingProblem(
                inputSize: inputSize, outputSize: outputSize, embeddingSize: embeddingSize,
                hiddenSize: recurrent.hiddenSize, bidirectional: recurrent.bidirectional)
        }
        return nil
    }

    /// Why the output weight cannot be the embedding for these sizes, or nil when it can.
    public static func tyingProblem(
        inputSize: Int, outputSize: Int, embeddingSize: Int, hiddenSize: Int,
        bidirectional: Bool = false
    ) -> String? {
        if embeddingSize == 0 { return "tied weights need an embedding (an embedding size above 0)" }
        if bidirectional {
            return "tied weights need a one-directional stack: a bidirectional one's outputs are 2H wide, the embedding's rows E"
        }
        if embeddingSize != hiddenSize {
            return
                "tied weights need the embedding size (\(embeddingSize)) to equal the hidden size (\(hiddenSize)): the output layer's weight [V, H] is the embedding [V, E]"
        }
        if inputSize != outputSize {
            return "tied weights need as many output classes (\(outputSize)) as input tokens (\(inputSize))"
        }
        return nil
    }

    /// The width of the stack's input: `E` with an embedding, else `inputSize`.
    public var stackInputSize: Int { embeddingSize > 0 ? embeddingSize : inputSize }

    /// `embedding.weight` [V, E] (with an embedding), `rnn.*` (the stack), then
    /// `fc.weight` [O, D·H] (unless tied: it is `embedding.weight`) and `fc.bias` [O] —
    /// the order of word_language_model's encoder, rnn, decoder.
    public var parameterShapes: [ParameterShape] {
        (embeddingSize > 0 ? Embedding.parameterShapes(vocabularySize: inputSize, embeddingSize: embeddingSize, prefix: "embedding.") : [])
            + recurrent.parameterShapes(inputSize: stackInputSize, prefix: "rnn.")
            + Linear.parameterShapes(inputSize: recurrent.outputWidth, outputSize: outputSize, prefix: "fc.")
            .filter { !tiedWeights || $0.name != "fc.weight" }
    }

    public var summary: String {
        "\(recurrent.summary), input_size \(inputSize), output_size \(outputSize)"
            + (embeddingSize > 0 ? ", embedding_size \(embeddingSize)" : "") + (tiedWeights ? ", tied weights" : "")
    }

    /// The stack's FLOPs per row of the `[T*B, ·]` matrices
    /// (`RecurrentConfiguration.trainingFlopsPerToken`: one-hot tokens are a gather, an
    /// embedding's vectors a dense input of width E), and the output layer's forward,
    /// `dW` and `dH`, 6HO per output row.
    public func trainingFlops(batchSize: Int, steps: Int) -> Double {
        recurrent.trainingFlopsPerToken(tokenInput: embeddingSize == 0, inputSize: stackInputSize) * Double(batchSize * steps)
            + 6 * Double(recurrent.outputWidth * outputSize) * Double(Output.outputRows(batchSize: batchSize, steps: steps))
    }

    /// The floats of a step's workspaces over `rows = T·B` rows: the stack's exactly
    /// (`RecurrentConfiguration.trainingWorkspaceFloats`, with the prepared weights a team
    /// of threads adds for inference), the logits with their gradient, the embedding's
    /// dropout mask and the output dropout's mask and dropped rows, and the output layer's
    /// prepared `Wᵀ` (for single rows); in `precision`.
    public func workspaceFloats(rows: Int, batchSize: Int, precision: Precision = .fp32) -> Double {
        let T = rows / max(batchSize, 1)
        let outputRows = Output.outputRows(batchSize: batchSize, steps: T)
        let W = recurrent.outputWidth, tokens = embeddingSize == 0
        let stack =
            recurrent.trainingWorkspaceFloats(
                inputSize: stackInputSize, tokenInput: tokens, steps: T, batchSize: batchSize,
                dropout: dropout > 0, precision: precision)
            + recurrent.inferenceCacheFloats(inputSize: stackInputSize, tokenInput: tokens, threads: 2)
        let dropped = dropout > 0 ? rows * embeddingSize + outputRows * W * 2 : 0
        return Double(stack + outputRows * outputSize * 2 + dropped + W * outputSize)
    }

    /// The layers, registered in `parameters` in `parameterShapes`' order.
    func make(parameters: ParameterStore) -> StackWithOutput {
        let embedding =
            embeddingSize > 0
            ? Embedding(vocabularySize: inputSize, embeddingSize: embeddingSize, parameters: parameters) : nil
        let rnn = recurrent.makeStack(inputSize: stackInputSize, parameters: parameters, prefix: "rnn.")
        let fc =
            tiedWeights
            ? Linear(sharing: embedding!.weight, parameters: parameters, prefix: "fc.")
            : Linear(inputSize: recurrent.outputWidth, outputSize: outputSize, parameters: parameters, prefix: "fc.")
        return StackWithOutput(embedding: embedding, rnn: rnn, fc: fc, dropout: dropout, dropoutSeed: dropoutSeed)
    }
}

extension StackWithOutputConfiguration where Output == EveryStep {
    /// Training FLOPs per token with token input: `G(6H² + 12H²(L−1)) + 6HO`.
    package var trainingFlopsPerToken: Double { trainingFlops(batchSize: 1, steps: 1) }
}
