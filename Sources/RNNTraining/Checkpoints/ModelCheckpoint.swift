import Linalg
import RNN
import SafeTensors

/// Any `SequenceModel`, with (optionally) everything needed to resume its training
/// exactly, as a `SafeTensors` file: the parameters under their names, the model's
/// configuration in the metadata, the optimizer and training state (`CheckpointCodec`).
///
/// ```text
/// metadata: format "swift-rnn.model", format_version 4, architecture (many_to_many,
///           many_to_one, one_to_many, encoder_decoder, forecaster), configuration (the model's
///           `Configuration` as one JSON object, e.g. {"inputSize":5,"outputSize":3,
///           "recurrent":{"cell":"gru","hiddenSize":64,...},...}), optimizer and training
///           keys, and any extra metadata
/// tensors:  the parameters, optimizer.{buffer}.{parameter}, training.hidden_state,
///           and any extra tensors
/// ```
///
/// Reading decodes the configuration, checks it (`ModelConfiguration.problem`) and every
/// tensor against the layout it registers (`ModelConfiguration.parameterShapes`) before
/// the model is built, and throws a `CheckpointError` naming the problem. Files of
/// versions 1–3, which spelled the configuration as separate keys (`cell`,
/// `hidden_size`, `num_layers`, ...: `VersionThreeMetadata.swift`), still load; they hold
/// no optimizer settings (PyTorch's defaults are taken), schedule or clipping.
///
/// ```swift
/// try ModelCheckpoint(model: classifier, optimizer: OptimizerState(capturing: adam)).write(path: "c.safetensors")
/// let loaded = try ModelCheckpoint<ManyToOneModel>.read(path: "c.safetensors")
/// loaded.model.predict(batch)
/// ```
public struct ModelCheckpoint<Model: SequenceModel> {
    /// The value of the `format` metadata key.
    public static var format: String { "swift-rnn.model" }
    /// The `format_version` this code writes, and the newest it reads: 4, the
    /// configuration as one JSON value. Versions 1–3 spelled it as separate keys (3 for a
    /// bidirectional model, 2 for an embedding, tied weights or dropout).
    public static var formatVersion: Int { 4 }
    /// The metadata key of the configuration's JSON.
    public static var configurationKey: String { "configuration" }

    /// The model (its parameters hold the checkpoint's values).
    public let model: Model
    /// Optimizer settings, step count and moment buffers, for resuming (`Trainer(resuming:)`).
    public var optimizer: OptimizerState?
    /// Step counters, RNG state and carried state, for resuming.
    public var training: TrainingState?
    /// Extra metadata (keys the checkpoint does not interpret).
    public var metadata: [String: String]
    /// Extra tensors (names outside the model's, `optimizer.` and `training.`).
    public var tensors: [String: SafeTensorsFile.Tensor]

    public init(
        model: Model, optimizer: OptimizerState? = nil, training: TrainingState? = nil,
        metadata: [String: String] = [:], tensors: [String: SafeTensorsFile.Tensor] = [:]
    ) {
        self.model = model
        self.optimizer = optimizer
        self.training = training
        self.metadata = metadata
        self.tensors = tensors
    }

    static func codec(_ configuration: Model.Configuration) -> CheckpointCodec {
        CheckpointCodec(
            shapes: configuration.parameterShapes, architecture: configuration.summary,
            carriedState: Model.Configuration.carriesState ? configuration.recurrent : nil)
    }

    /// Keys this checkpoint writes for `configuration`, or could read for another of its
    /// kind (the separate keys of versions 1–3 too, so that extra metadata cannot pass for them).
    static func reservedKeys(_ configuration: Model.Configuration) -> Set<String> {
        var keys = CheckpointCodec.reservedMetadataKeys.union(["format", "format_version", "architecture", configurationKey])
        if let old = configuration as? any VersionThreeConfiguration {
            keys.formUnion(old.metadata.keys)
            keys.formUnion(type(of: old).optionalMetadataKeys.union(["bidirectional"]))
        }
        return keys
    }

    /// The checkpoint as a safetensors file.
    /// - Precondition: extra metadata keys and tensor names are not the checkpoint's own.
    public var safeTensors: SafeTensorsFile {
        let configuration = model.configuration
        let codec = Self.codec(configuration)
        var file = SafeTensorsFile()
        let reserved = Self.reservedKeys(configuration)
        for key in metadata.keys { precondition(!reserved.contains(key), "metadata key '\(key)' is reserved by ModelCheckpoint") }
        for name in tensors.keys { precondition(!codec.isReserved(tensor: name), "tensor name '\(name)' is reserved by ModelCheckpoint") }
        file.metadata = metadata
        file.metadata["format"] = Self.format
        file.metadata["format_version"] = String(Self.formatVersion)
        file.metadata["architecture"] = Model.Configuration.architecture
        file.metadata[Self.configurationKey] = CheckpointCodec.json(configuration)
        codec.encode(parameters: model.parameters, optimizer: optimizer, training: training, into: &file)
        file.tensors.merge(tensors) { a, _ in a }
        return file
    }

    /// The file as a writer of format versions 1–3 made it: the configuration as separate
    /// keys (`Configuration.metadata`) and the oldest version that reads it — for the tests
    /// that those files still load, and refuse damaged keys.
    package var versionThreeSafeTensors: SafeTensorsFile {
        var file = safeTensors
        guard let old = model.configuration as? any VersionThreeConfiguration else {
            preconditionFailure("\(Model.Configuration.self) has no format before version 4")
        }
        let keys = old.metadata
        for key in CheckpointCodec.versionFourKeys { file.metadata[key] = nil }
        file.metadata.merge(keys) { _, b in b }
        let optional = !type(of: old).optionalMetadataKeys.isDisjoint(with: keys.keys)
        file.metadata["format_version"] = String(model.configuration.hasBidirectionalLayers ? 3 : optional ? 2 : 1)
        return file
    }

    /// Writes the checkpoint atomically (see `SafeTensorsFile.write(path:)`).
    public func write(path: String) throws { try safeTensors.write(path: path) }

    /// Reads the checkpoint at `path`; throws `SafeTensorsError` for an unreadable or
    /// malformed file, `CheckpointError` for one that is not a checkpoint of this model type.
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
    ) throws -> ModelCheckpoint {
        try ModelCheckpoint(
            try CheckpointCodec.readFile(path: path, byteBudget: byteBudget, keepingExtra: keepingExtra) {
                (try? configuration($0)).map { codec($0.configuration) }
            })
    }

    /// The checkpoint in `file`, validated completely before the model is built.
    public init(_ file: SafeTensorsFile) throws(CheckpointError) {
        let (configuration, version) = try Self.configuration(file.metadata)
        let codec = Self.codec(configuration)
        let decoded = try codec.decode(file, versionFour: version >= 4)  // every tensor checked before the model is built
        var rng = SeededRandom(seed: 0)
        let model = Model(configuration, using: &rng)
        model.parameters.load(decoded.values, shapes: configuration.parameterShapes)
        let reserved = Self.reservedKeys(configuration).subtracting(version >= 4 ? [] : CheckpointCodec.versionFourKeys)
        self.init(
            model: model, optimizer: decoded.optimizer, training: decoded.training,
            metadata: file.metadata.filter { !reserved.contains($0.key) },
            tensors: file.tensors.filter { !codec.isReserved(tensor: $0.key) })
    }

    /// The configuration and format version of a checkpoint with `metadata`: its format,
    /// version and architecture checked.
    static func configuration(_ metadata: [String: String]) throws(CheckpointError)
        -> (configuration: Model.Configuration, version: Int)
    {
        let reader = MetadataReader(metadata: metadata)
        let format = try reader.string("format")
        guard format == Self.format else { throw .unsupportedFormat(format, expected: Self.format) }
        let version = try reader.integer("format_version", in: 1...Int.max)
        guard version <= Self.formatVersion else { throw .unsupportedVersion(version, newest: Self.formatVersion) }
        let architecture = try reader.string("architecture")
        guard architecture == Model.Configuration.architecture else {
            throw .invalidMetadata(
                key: "architecture", value: architecture,
                expected: "\(Model.Configuration.architecture), the architecture of \(Model.self)")
        }
        let configuration: Model.Configuration
        if version >= 4 {
            configuration = try reader.json(
                Self.configurationKey, Model.Configuration.self,
                what: "the configuration of a \(Model.Configuration.architecture) model")
            if let problem = configuration.problem {
                throw .invalidMetadata(
                    key: Self.configurationKey, value: metadata[Self.configurationKey]!,
                    expected: "a configuration a model can be built from (\(problem))")
            }
        } else {
            guard let old = Model.Configuration.self as? any VersionThreeConfiguration.Type else {
                throw .unsupportedVersion(version, newest: Self.formatVersion)  // no such file of this model was written
            }
            configuration = try old.init(metadata: metadata) as! Model.Configuration
        }
        return (configuration, version)
    }
}
