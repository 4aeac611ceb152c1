/// The layout shared by the many-to-many and many-to-one models: a stack `rnn.*` over
/// inputs of `inputSize`, then `fc` to `outputSize` classes. Metadata keys `input_size`,
/// `output_size` and `RecurrentConfiguration`'s.
struct StackWithOutputLayer: Equatable, Sendable {
    var inputSize: Int
    var outputSize: Int
    var recurrent: RecurrentConfiguration

    /// `rnn.*` (the stack), then `fc.weight` [O, H], `fc.bias` [O].
    var parameterShapes: [ParameterShape] {
        recurrent.parameterShapes(inputSize: inputSize, prefix: "rnn.")
            + Linear.parameterShapes(inputSize: recurrent.hiddenSize, outputSize: outputSize, prefix: "fc.")
    }

    var summary: String { "\(recurrent.summary), input_size \(inputSize), output_size \(outputSize)" }

    var metadata: [String: String] {
        recurrent.metadata.merging(["input_size": String(inputSize), "output_size": String(outputSize)]) { a, _ in a }
    }

    init(inputSize: Int, outputSize: Int, recurrent: RecurrentConfiguration) {
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.recurrent = recurrent
    }

    init(metadata: [String: String]) throws(CheckpointError) {
        let reader = MetadataReader(metadata: metadata)
        let recurrent = try RecurrentConfiguration(metadata: metadata)
        self.init(inputSize: try reader.integer("input_size", in: 1...RecurrentConfiguration.maximumInputSize),
                  outputSize: try reader.integer("output_size", in: 1...RecurrentConfiguration.maximumInputSize),
                  recurrent: recurrent)
    }

    /// The stack and the output layer, registered in `parameters` in `parameterShapes`' order.
    func make(parameters: ParameterStore) -> (RecurrentStack, Linear) {
        (recurrent.makeStack(inputSize: inputSize, parameters: parameters, prefix: "rnn."),
         Linear(inputSize: recurrent.hiddenSize, outputSize: outputSize, parameters: parameters, prefix: "fc."))
    }
}
