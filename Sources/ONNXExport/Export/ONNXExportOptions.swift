/// How a model is exported (`ONNXExportable.onnxModels`).
public struct ONNXExportOptions: Sendable {
    /// What the graph of a model that reads its input itself (no embedding) takes.
    public enum Input: String, Sendable, CaseIterable {
        /// `tokens` int64 `[T, B]`, one-hot inside the graph: a text model.
        case tokens
        /// `inputs` float `[T, B, I]`: a model of dense vectors.
        case vectors
    }

    /// A per-feature affine map `(x − offset) / scale`, or its inverse `y · scale + offset`.
    public struct Scaling: Sendable, Equatable {
        public var offset: [Float]
        public var scale: [Float]

        public init(offset: [Float], scale: [Float]) {
            precondition(offset.count == scale.count, "\(offset.count) offsets for \(scale.count) scales")
            self.offset = offset
            self.scale = scale
        }
    }

    public var input: Input
    /// Adds the output `probabilities`, the softmax of `logits` over the classes.
    public var softmax: Bool
    /// For dense `inputs`: the graph scales each of the I features as `(x − offset) / scale`
    /// before the model reads it, so that it takes real units (a series checkpoint's scaler).
    public var inputScaling: Scaling?
    /// The graph maps each of the O outputs back as `y · scale + offset`, so that it returns
    /// real units.
    public var outputScaling: Scaling?
    /// Extra `metadata_props` (a text model's `vocabulary` and `unit`, say); the exporter's
    /// own keys (`architecture`, `configuration`, `graph`) win over these.
    public var metadata: [String: String]

    public init(
        input: Input = .tokens, softmax: Bool = false, metadata: [String: String] = [:], inputScaling: Scaling? = nil,
        outputScaling: Scaling? = nil
    ) {
        self.input = input
        self.softmax = softmax
        self.metadata = metadata
        self.inputScaling = inputScaling
        self.outputScaling = outputScaling
    }

    /// Why the scalings do not fit a model of `inputs` features and `outputs` outputs, or nil.
    func scalingProblem(inputs: Int, outputs: Int) -> String? {
        if let s = inputScaling, s.scale.count != inputs {
            return "the input scaling has \(s.scale.count) features; the model reads \(inputs)"
        }
        if let s = outputScaling, s.scale.count != outputs {
            return "the output scaling has \(s.scale.count) values; the model returns \(outputs)"
        }
        return nil
    }
}
