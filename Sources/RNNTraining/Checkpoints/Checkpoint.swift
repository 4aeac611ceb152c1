import Linalg
import RNN
import SafeTensors

/// A character (or byte, or word) model, its vocabulary and (optionally) everything needed to resume its
/// training exactly, mapped to and from a `SafeTensors` file.
///
/// The layout (format `swift-rnn.charrnn`; `G` = 1 for `cell` rnn, 3 for gru, 4 for lstm):
/// ```text
/// tensors (F32)
///   embedding.weight   [V, E]                                   with an embedding (nn.Embedding)
///   rnn.weight_ih_l{k} [G·H, I_k]  rnn.weight_hh_l{k} [G·H, H]  the model, under PyTorch's
///   rnn.bias_ih_l{k}   [G·H]       rnn.bias_hh_l{k}   [G·H]     state_dict names of
///   fc.weight          [V, H]      fc.bias            [V]       nn.RNN/GRU/LSTM + nn.Linear
///                                  (no fc.weight with tied weights: it is embedding.weight)
///   optimizer.{buffer}.{parameter}   the optimizer's moment buffers, one per parameter,
///                                    in the parameter's shape (e.g. optimizer.exp_avg.fc.bias)
///   training.hidden_state            the state carried between truncated-BPTT chunks:
///                                    [L, B, H] (rnn, gru: PyTorch's h_n), or
///                                    [2, L, B, H] (lstm: h_n then c_n)
///   anything else                    extra tensors (`tensors`), e.g. a loss history
/// __metadata__ (strings)
///   format "swift-rnn.charrnn", format_version 4, configuration (the model's
///   `ManyToManyModel.Configuration` as one JSON object: {"inputSize":V,"outputSize":V,
///   "recurrent":{"cell":"lstm","hiddenSize":H,"numLayers":L,"nonlinearity":"tanh",
///   "bidirectional":false},"embeddingSize":E,"tiedWeights":false,"dropout":0,"dropoutSeed":0}),
///   unit (char|byte|word; absent = char), vocabulary (the characters in token order, or
///   the words one per line, <unk> and <eos> first; none for bytes), initialization;
///   with optimizer state: optimizer (adam|adamw|sgd|adagrad|rmsprop), learning_rate, optimizer_step,
///   optimizer_configuration (JSON, every hyperparameter: `OptimizerConfiguration`);
///   with training state: step, epoch, step_in_epoch, rng_state ("w0,w1,w2,w3"), and when
///   set learning_rate_schedule (JSON: `LearningRateSchedule` with its plateau state), clip_norm;
///   anything else: extra metadata (`metadata`)
/// ```
///
/// `format_version` 4 stores the configuration as one JSON value. Files of versions 1–3
/// spelled it as separate keys — cell (rnn|gru|lstm; absent = rnn), vocab_size,
/// hidden_size, num_layers, nonlinearity (tanh|relu; rnn only), and when set
/// embedding_size, tie_weights ("true"), dropout, dropout_seed; 1 for a vanilla RNN, 2 for
/// a GRU or LSTM, 3 for an embedding, tied weights, dropout or a byte or word unit — and
/// still load.
///
/// Reading checks everything before a model is built, so a damaged or mismatched file
/// throws a `CheckpointError` naming the problem instead of tripping a precondition.
///
/// ```swift
/// let checkpoint = Checkpoint(model: model, vocabulary: vocabulary,
///                             optimizer: OptimizerState(capturing: adam))
/// try checkpoint.write(path: "model.safetensors")
/// let loaded = try Checkpoint.read(path: "model.safetensors")
/// let optimizer = try loaded.optimizer?.makeOptimizer(for: loaded.model.parameters)
/// ```
public struct Checkpoint {
    /// The value of the `format` metadata key.
    public static let format = "swift-rnn.charrnn"
    /// The `format_version` this code writes, and the newest it reads.
    public static let formatVersion = 4
    /// The metadata key of the configuration's JSON.
    public static let configurationKey = "configuration"
    /// Metadata keys that `Checkpoint` itself writes and interprets (those of versions
    /// 1–3 too).
    public static let reservedMetadataKeys: Set<String> = CheckpointCodec.reservedMetadataKeys.union([
        "format", "format_version", configurationKey, "cell", "unit", "vocabulary", "vocab_size", "hidden_size",
        "num_layers", "nonlinearity", "initialization", "bidirectional",
    ]).union(ManyToManyModel.Configuration.optionalMetadataKeys)
    /// Why a character model cannot be bidirectional.
    package static let bidirectionalProblem =
        "a language model predicts each token from the ones before it, so it reads forward only (a bidirectional stack would see the token it predicts)"
    /// The name of the carried hidden state tensor.
    public static let hiddenStateTensor = CheckpointCodec.hiddenStateTensor
    /// The prefix of optimizer buffer tensors.
    public static let optimizerPrefix = CheckpointCodec.optimizerPrefix

    /// The model (its parameters hold the checkpoint's values).
    public let model: ManyToManyModel
    /// The tokens, index = token (`model`'s input and output size): characters, bytes or words.
    public let vocabulary: TextVocabulary
    /// How the model was initialized (informational; nil when unknown).
    public var initialization: RecurrentInitialization?
    /// Optimizer settings, step count and moment buffers, for resuming.
    public var optimizer: OptimizerState?
    /// Step counters, RNG state and carried hidden state, for resuming.
    public var training: TrainingState?
    /// Extra metadata (keys other than `reservedMetadataKeys`).
    public var metadata: [String: String]
    /// Extra tensors (names outside `rnn.`, `fc.`, `optimizer.` and `training.`).
    public var tensors: [String: SafeTensorsFile.Tensor]

    /// A checkpoint of a character model (see `init(model:vocabulary:...)` with a
    /// `TextVocabulary`).
    public init(
        model: ManyToManyModel, vocabulary: Vocabulary, initialization: RecurrentInitialization? = nil,
        optimizer: OptimizerState? = nil, training: TrainingState? = nil,
        metadata: [String: String] = [:], tensors: [String: SafeTensorsFile.Tensor] = [:]
    ) {
        self.init(
            model: model, vocabulary: .characters(vocabulary), initialization: initialization, optimizer: optimizer,
            training: training, metadata: metadata, tensors: tensors)
    }

    /// A checkpoint of `model` with `vocabulary` (whose size must be the model's input
    /// and output size).
    public init(
        model: ManyToManyModel, vocabulary: TextVocabulary, initialization: RecurrentInitialization? = nil,
        optimizer: OptimizerState? = nil, training: TrainingState? = nil,
        metadata: [String: String] = [:], tensors: [String: SafeTensorsFile.Tensor] = [:]
    ) {
        precondition(!model.rnn.isBidirectional, Self.bidirectionalProblem)
        precondition(
            vocabulary.count == model.configuration.inputSize && vocabulary.count == model.outputSize,
            "vocabulary of \(vocabulary.summary) for a model \(model.configuration.inputSize) -> \(model.outputSize)")
        self.model = model
        self.vocabulary = vocabulary
        self.initialization = initialization
        self.optimizer = optimizer
        self.training = training
        self.metadata = metadata
        self.tensors = tensors
    }

    // MARK: - Writing

    /// The checkpoint as a safetensors file (see the type's documentation for the layout).
    ///
    /// - Precondition: extra metadata keys are not reserved, extra tensor names do not use
    ///   the model, optimizer or training prefixes; optimizer buffers have the parameter
    ///   buffer's size; the hidden state has `model.rnn.stateSize(batchSize: B)` values
    ///   for some `B`.
    public var safeTensors: SafeTensorsFile {
        var file = SafeTensorsFile()
        for key in metadata.keys {
            precondition(!Self.reservedMetadataKeys.contains(key), "metadata key '\(key)' is reserved by Checkpoint")
        }
        file.metadata = metadata
        file.metadata["format"] = Self.format
        file.metadata["format_version"] = String(Self.formatVersion)
        file.metadata[Self.configurationKey] = CheckpointCodec.json(model.configuration)
        file.metadata.merge(vocabulary.metadata) { _, b in b }
        if let initialization { file.metadata["initialization"] = initialization.rawValue }
        let codec = Self.codec(model.configuration, vocabulary: vocabulary, metadataCell: nil)
        codec.encode(parameters: model.parameters, optimizer: optimizer, training: training, into: &file)
        for (name, tensor) in tensors {
            precondition(!codec.isReserved(tensor: name), "tensor name '\(name)' is reserved by Checkpoint")
            file.tensors[name] = tensor
        }
        return file
    }

    /// The file as a writer of format versions 1–3 made it: the configuration as separate
    /// keys (`cell`, `vocab_size`, `hidden_size`, ...) and the oldest version that reads it —
    /// for the tests that those files still load, and refuse damaged keys.
    package var versionThreeSafeTensors: SafeTensorsFile {
        var file = safeTensors
        let configuration = model.configuration
        for key in CheckpointCodec.versionFourKeys { file.metadata[key] = nil }
        file.metadata.merge(configuration.recurrent.metadata) { _, b in b }
        file.metadata.merge(configuration.inputAndDropoutMetadata) { _, b in b }
        file.metadata["vocab_size"] = String(vocabulary.count)
        let version =
            !configuration.inputAndDropoutMetadata.isEmpty || vocabulary.unit != .char
            ? 3
            : configuration.recurrent.cell == .rnn ? 1 : 2
        file.metadata["format_version"] = String(version)
        return file
    }

    /// The codec of a character model: its parameters, optimizer and carried state, with
    /// errors that name the vocabulary and (given the `cell` key of a file of versions
    /// 1–3) a likely lost or wrong one.
    static func codec(_ configuration: ManyToManyModel.Configuration, vocabulary: TextVocabulary, metadataCell: String?) -> CheckpointCodec
    {
        let r = configuration.recurrent
        var codec = CheckpointCodec(
            shapes: configuration.parameterShapes,
            architecture: "\(r.summary) and a vocabulary of \(vocabulary.summary)", carriedState: r)
        if let metadataCell {
            codec.shapeHint = { tensor, shape in
                tensor.name.hasPrefix("rnn.") ? r.otherCellHint(tensor: tensor, found: shape, metadataCell: metadataCell) : nil
            }
        }
        return codec
    }

    /// Writes the checkpoint atomically (a temporary file renamed into place), so an
    /// existing file at `path` is either untouched or replaced by the complete new one.
    public func write(path: String) throws {
        try safeTensors.write(path: path)
    }

    // MARK: - Reading

    /// The largest step, epoch or optimizer-step count a checkpoint may hold: 2⁵³, far past
    /// any run (a billion steps a second for a hundred days), and leaving room to count on
    /// (`Optimizer.maximumStepCount` is the same bound) without overflow.
    public static let maximumCount = OptimizerKind.maximumStepCount

    /// Reads the checkpoint at `path`; throws `SafeTensorsError` for an unreadable or
    /// malformed file, `CheckpointError` for a well-formed file that is not a valid checkpoint.
    ///
    /// The header is read first: the configuration, and every tensor of the model and the
    /// optimizer checked by name and shape against it, before any tensor is read; then
    /// those tensors and the extra tensors `keepingExtra` chooses (nil: all), if together
    /// they fit in `byteBudget` bytes (by default the machine's physical memory). An extra
    /// tensor not kept is not read, so a file with a giant one costs nothing to load.
    /// - Complexity: O(*n*) for *n* bytes of the tensors read.
    public static func read(
        path: String, byteBudget: Int = SafeTensorsFile.defaultByteBudget,
        keepingExtra: ((_ name: String) -> Bool)? = nil
    ) throws -> Checkpoint {
        try Checkpoint(
            try CheckpointCodec.readFile(path: path, byteBudget: byteBudget, keepingExtra: keepingExtra) {
                (try? parse($0))?.codec
            })
    }

    /// The checkpoint stored in `file`, validated completely before the model is built.
    public init(_ file: SafeTensorsFile) throws(CheckpointError) {
        let (configuration, vocabulary, initialization, versionFour, codec) = try Self.parse(file.metadata)
        let decoded = try codec.decode(file, versionFour: versionFour)
        let reserved = Self.reservedMetadataKeys.subtracting(versionFour ? [] : CheckpointCodec.versionFourKeys)
        var rng = SeededRandom(seed: 0)
        let model = ManyToManyModel(configuration, using: &rng)
        model.parameters.load(decoded.values, shapes: configuration.parameterShapes)

        self.init(
            model: model, vocabulary: vocabulary, initialization: initialization,
            optimizer: decoded.optimizer, training: decoded.training,
            metadata: file.metadata.filter { !reserved.contains($0.key) },
            tensors: file.tensors.filter { !codec.isReserved(tensor: $0.key) })
    }

    /// What a checkpoint's `metadata` says, checked: the model's configuration, the
    /// vocabulary, the initialization, whether it is of format version 4, and the codec of
    /// its tensors.
    static func parse(_ metadata: [String: String]) throws(CheckpointError)
        -> (
            configuration: ManyToManyModel.Configuration, vocabulary: TextVocabulary,
            initialization: RecurrentInitialization?, versionFour: Bool, codec: CheckpointCodec
        )
    {
        let reader = MetadataReader(metadata: metadata)
        if let format = metadata["format"], format != Self.format {
            throw .unsupportedFormat(format, expected: Self.format)
        }
        // No format_version: the first files, or another writer's; one with a configuration
        // is of version 4.
        var versionFour = metadata["format_version"] == nil && metadata[Self.configurationKey] != nil
        if let versionText = metadata["format_version"] {
            guard let version = Int(versionText), version >= 1 else {
                throw .invalidMetadata(key: "format_version", value: versionText, expected: "a positive integer")
            }
            guard version <= Self.formatVersion else { throw .unsupportedVersion(version, newest: Self.formatVersion) }
            versionFour = version >= 4
        }
        let vocabulary = try reader.textVocabulary()
        let V = vocabulary.count
        let configuration: ManyToManyModel.Configuration
        if versionFour {
            let text = try reader.string(Self.configurationKey)
            configuration = try reader.json(
                Self.configurationKey, ManyToManyModel.Configuration.self,
                what: "a character model's configuration")
            let problem =
                configuration.problem
                ?? (configuration.recurrent.bidirectional ? Self.bidirectionalProblem : nil)
                ?? (configuration.inputSize == V && configuration.outputSize == V
                    ? nil
                    : "input and output sizes \(configuration.inputSize) and \(configuration.outputSize), but a vocabulary of \(vocabulary.summary)")
            if let problem {
                throw .invalidMetadata(key: Self.configurationKey, value: text, expected: "a character model's configuration (\(problem))")
            }
        } else {
            configuration = try Self.configuration(versionThreeMetadata: metadata, vocabulary: vocabulary)
        }
        let recurrent = configuration.recurrent
        let initialization: RecurrentInitialization? =
            metadata["initialization"] == nil
            ? nil : try reader.enumeration("initialization", RecurrentInitialization.self)
        if recurrent.cell != .rnn && initialization == .identity {
            throw .invalidMetadata(
                key: "initialization", value: "identity",
                expected: "default or orthogonal: identity applies to the vanilla RNN only, not \(recurrent.cell)")
        }
        // Every tensor checked against the layout the model registers, then the model built.
        // A file of versions 1–3 names its cell in a key that can be lost: the shapes then say which.
        let codec = Self.codec(
            configuration, vocabulary: vocabulary,
            metadataCell: versionFour ? nil : metadata["cell"] ?? "")
        return (configuration, vocabulary, initialization, versionFour, codec)
    }

    /// The configuration of a file of versions 1–3: the separate keys `cell`,
    /// `hidden_size`, `num_layers`, `nonlinearity`, `vocab_size` (checked against the
    /// vocabulary), `embedding_size`, `tie_weights`, `dropout`, `dropout_seed`.
    static func configuration(versionThreeMetadata metadata: [String: String], vocabulary: TextVocabulary)
        throws(CheckpointError) -> ManyToManyModel.Configuration
    {
        let reader = MetadataReader(metadata: metadata)
        if metadata["cell"] != nil { _ = try reader.enumeration("cell", RecurrentCell.self) }
        let recurrent = try RecurrentConfiguration(oneDirectional: metadata, because: Self.bidirectionalProblem)
        let V = vocabulary.count
        if let sizeText = metadata["vocab_size"], Int(sizeText) != V {
            throw .invalidMetadata(
                key: "vocab_size", value: sizeText,
                expected: "\(V), the number of \(vocabulary.unit.tokenName)s in the vocabulary")
        }
        let extra = try ManyToManyModel.Configuration.readInputAndDropout(
            metadata, inputSize: V, outputSize: V,
            hiddenSize: recurrent.hiddenSize)
        return ManyToManyModel.Configuration(
            inputSize: V, outputSize: V, recurrent: recurrent,
            embeddingSize: extra.embeddingSize, tiedWeights: extra.tiedWeights,
            dropout: extra.dropout, dropoutSeed: extra.dropoutSeed)
    }

    /// The shape of `training.hidden_state`: `[L, B, H]` (PyTorch's `h_n`), or for the
    /// LSTM `[2, L, B, H]` (`h_n` then `c_n`) — `stateSize(batchSize:)` values either way.
    public static func hiddenStateShape(cell: RecurrentCell, numLayers: Int, batchSize: Int, hiddenSize: Int) -> [Int] {
        CheckpointCodec.hiddenStateShape(
            RecurrentConfiguration(cell: cell, hiddenSize: hiddenSize, numLayers: numLayers),
            batchSize: batchSize)
    }

    // MARK: - Compatibility

    /// Checks that text with `vocabulary` can be used with this checkpoint: every character
    /// of `vocabulary` must be in the checkpoint's (the model's token ids are fixed).
    /// Throws `vocabularyMismatch` listing the characters the checkpoint does not know.
    public func checkCovers(_ vocabulary: Vocabulary) throws(CheckpointError) {
        guard case .characters(let own) = self.vocabulary else { return }
        let unknown = vocabulary.characters.filter { own.token(for: $0) == nil }
        if !unknown.isEmpty {
            throw .vocabularyMismatch(unknown: unknown, checkpointSize: self.vocabulary.count)
        }
    }
}
