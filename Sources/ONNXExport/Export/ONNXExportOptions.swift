/// How a model is exported (`ONNXExportable.onnxModels`).
public struct ONNXExportOptions: Sendable {
    /// What the graph of a model that reads its input itself (no embedding) takes.
    public enum Input: String, Sendable, CaseIterable {
        /// `tokens` int64 `[T, B]`, one-hot inside the graph: a text model.
        case tokens
        /// `inputs` float `[T, B, I]`: a model of dense vectors.
        case vectors
    }

    public var input: Input
    /// Adds the output `probabilities`, the softmax of `logits` over the classes.
    public var softmax: Bool
    /// Extra `metadata_props` (a text model's `vocabulary` and `unit`, say); the exporter's
    /// own keys (`architecture`, `configuration`, `graph`) win over these.
    public var metadata: [String: String]

    public init(input: Input = .tokens, softmax: Bool = false, metadata: [String: String] = [:]) {
        self.input = input
        self.softmax = softmax
        self.metadata = metadata
    }
}
