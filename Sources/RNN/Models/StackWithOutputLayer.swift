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

/// The configuration of a stack `rnn.*` over inputs of `inputSize`, then `fc` to
/// `outputSize` classes, read at `Output`'s rows (`ManyToManyModel.Configuration`,
/// `ManyToOneModel.Configuration`). Metadata keys `input_size`, `output_size` and
/// `RecurrentConfiguration`'s.
public struct StackWithOutputConfiguration<Output: OutputPlacement>: ModelConfiguration {
    public static var architecture: String { Output.architecture }
    /// The stack's state runs from batch to batch (truncated BPTT, or a classifier's state).
    public static var carriesState: Bool { true }
    public var inputSize: Int
    public var outputSize: Int
    public var recurrent: RecurrentConfiguration

    public init(inputSize: Int, outputSize: Int, recurrent: RecurrentConfiguration) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.recurrent = recurrent
    }

    public init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let recurrent = try RecurrentConfiguration(metadata: metadata)
        self.init(inputSize: try reader.integer("input_size", in: 1...RecurrentConfiguration.maximumInputSize),
                  outputSize: try reader.integer("output_size", in: 1...RecurrentConfiguration.maximumInputSize),
                  recurrent: recurrent)
    }

    /// `rnn.*` (the stack), then `fc.weight` [O, H], `fc.bias` [O].
    public var parameterShapes: [ParameterShape] {
        recurrent.parameterShapes(inputSize: inputSize, prefix: "rnn.")
            + Linear.parameterShapes(inputSize: recurrent.hiddenSize, outputSize: outputSize, prefix: "fc.")
    }

    public var summary: String { "\(recurrent.summary), input_size \(inputSize), output_size \(outputSize)" }

    public var metadata: [String: String] {
        recurrent.metadata.merging(["input_size": String(inputSize), "output_size": String(outputSize)]) { a, _ in a }
    }

    /// Token input (a gather): the stack's FLOPs per row of the `[T*B, ·]` matrices
    /// (`RecurrentConfiguration.trainingFlopsPerToken`), and the output layer's forward,
    /// `dW` and `dH`, 6HO per output row.
    public func trainingFlops(batchSize: Int, steps: Int) -> Double {
        recurrent.trainingFlopsPerToken(tokenInput: true, inputSize: inputSize) * Double(batchSize * steps)
            + 6 * Double(recurrent.hiddenSize * outputSize) * Double(Output.outputRows(batchSize: batchSize, steps: steps))
    }

    /// The floats of a step's workspaces over `rows = T·B` rows: the stack's and the
    /// logits with their gradient.
    public func workspaceFloats(rows: Int, batchSize: Int) -> Double {
        recurrent.workspaceFloats(rows: rows, batchSize: batchSize)
            + Double(Output.outputRows(batchSize: batchSize, steps: rows / max(batchSize, 1)) * outputSize) * 2
    }

    /// The stack and the output layer, registered in `parameters` in `parameterShapes`' order.
    func make(parameters: ParameterStore) -> (RecurrentStack, Linear) {
        (recurrent.makeStack(inputSize: inputSize, parameters: parameters, prefix: "rnn."),
         Linear(inputSize: recurrent.hiddenSize, outputSize: outputSize, parameters: parameters, prefix: "fc."))
    }
}

extension StackWithOutputConfiguration where Output == EveryStep {
    /// Training FLOPs per token with token input: `G(6H² + 12H²(L−1)) + 6HO`.
    public var trainingFlopsPerToken: Double { trainingFlops(batchSize: 1, steps: 1) }
}
