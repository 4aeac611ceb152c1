import Foundation
import Linalg
import RNN
import SafeTensors

/// What every checkpoint format shares (`ModelCheckpoint` for any model, `Checkpoint` for
/// the character model): the parameters under their names, the optimizer's buffers and
/// the training state, written to and validated from a `SafeTensors` file against the
/// model's `parameterShapes` — the layout the model itself registers.
///
/// ```text
///   {parameter}                    each parameter tensor, in its shape
///   optimizer.{buffer}.{parameter} the optimizer's moment buffers, one per parameter
///   training.hidden_state          the carried state ([L·D, B, H], or [2, L·D, B, H] for the LSTM)
/// metadata: optimizer, learning_rate, optimizer_step, optimizer_configuration (JSON: every
///           hyperparameter; absent in files before it, which resume with PyTorch's defaults);
///           step, epoch, step_in_epoch, rng_state, learning_rate_schedule (JSON), clip_norm
/// ```
struct CheckpointCodec {
    /// The tensors the model registers, in order.
    let shapes: [ParameterShape]
    /// The configuration in words, the reason a shape is expected ("cell rnn, hidden_size 6, ...").
    let architecture: String
    /// The carried state's configuration, or nil when the model carries none.
    let carriedState: RecurrentConfiguration?
    /// A likelier cause of a parameter's wrong shape, if one is known.
    var shapeHint: (ParameterShape, [Int]) -> String? = { _, _ in nil }

    /// Metadata keys the codec writes and interprets.
    static let reservedMetadataKeys: Set<String> = [
        "optimizer", "learning_rate", "optimizer_step", "optimizer_configuration", "step", "epoch", "step_in_epoch",
        "rng_state", "learning_rate_schedule", "clip_norm",
    ]
    /// The keys format version 4 added: read only from files of that version (an older
    /// file may hold them as a caller's extra metadata). Both formats' `configurationKey`
    /// is `configuration`.
    static let versionFourKeys: Set<String> = ["configuration", "optimizer_configuration", "learning_rate_schedule", "clip_norm"]
    static let optimizerPrefix = "optimizer."
    static let hiddenStateTensor = "training.hidden_state"

    /// The first name component of each parameter plus `optimizer.` and `training.`:
    /// tensor names outside them are the caller's extra tensors.
    var reservedTensorPrefixes: Set<String> {
        Set(shapes.map { String($0.name.prefix { $0 != "." }) + "." }).union([Self.optimizerPrefix, "training."])
    }

    func isReserved(tensor name: String) -> Bool { reservedTensorPrefixes.contains { name.hasPrefix($0) } }

    // MARK: - Writing

    /// Adds the parameters, the optimizer state and the training state to `file`.
    /// - Precondition: optimizer buffers have `store.count` values; a hidden state has
    ///   `stateBlocks · H` values per sequence.
    func encode(
        parameters store: ParameterStore, optimizer: OptimizerState?, training: TrainingState?,
        into file: inout SafeTensorsFile
    ) {
        for slot in store.slots {
            file.tensors[slot.name] = .init(shape: slot.shape, values: Array(store.values[slot.range]))
        }
        if let optimizer {
            file.metadata["optimizer"] = optimizer.name
            file.metadata["learning_rate"] = String(optimizer.learningRate)
            file.metadata["optimizer_step"] = String(optimizer.stepCount)
            file.metadata["optimizer_configuration"] = Self.json(optimizer.configuration)
            for (buffer, values) in optimizer.buffers {
                precondition(
                    values.count == store.count,
                    "optimizer buffer '\(buffer)' has \(values.count) values for \(store.count) parameters")
                precondition(!buffer.isEmpty && !buffer.contains("."), "optimizer buffer name '\(buffer)' must be non-empty without '.'")
                for slot in store.slots {
                    file.tensors["\(Self.optimizerPrefix)\(buffer).\(slot.name)"] =
                        .init(shape: slot.shape, values: Array(values[slot.range]))
                }
            }
        }
        if let training {
            file.metadata["step"] = String(training.step)
            file.metadata["epoch"] = String(training.epoch)
            file.metadata["step_in_epoch"] = String(training.stepInEpoch)
            file.metadata["rng_state"] = training.rngState.map(String.init).joined(separator: ",")
            if let schedule = training.schedule { file.metadata["learning_rate_schedule"] = Self.json(schedule) }
            if let clipNorm = training.clipNorm { file.metadata["clip_norm"] = String(clipNorm) }
            if let h = training.hiddenState {
                guard let state = carriedState else { preconditionFailure("a hidden state for a model that carries none") }
                let perSequence = state.stateBlocks * state.hiddenSize
                precondition(
                    !h.isEmpty && h.count % perSequence == 0,
                    "hidden state of \(h.count) values is not \(Self.hiddenStateDescription(state, batch: "B"))")
                file.tensors[Self.hiddenStateTensor] = .init(
                    shape: Self.hiddenStateShape(state, batchSize: h.count / perSequence),
                    values: h)
            }
        }
    }

    // MARK: - Reading

    /// What `decode` found: the parameter values in `shapes`' order, the optimizer and
    /// training states.
    struct Decoded {
        var values: [[Float]]
        var optimizer: OptimizerState?
        var training: TrainingState?
    }

    /// Validates every parameter, optimizer and training tensor of `file` against
    /// `shapes` before anything is built; `versionFour`: the file is of format version 4
    /// (the optimizer's settings, the schedule and the clipping are read only then).
    func decode(_ file: SafeTensorsFile, versionFour: Bool) throws(CheckpointError) -> Decoded {
        let reader = MetadataReader(metadata: file.metadata)
        try checkShapes(file.tensors.mapValues(\.shape))
        var values: [[Float]] = []
        for expected in shapes {
            let tensor = file.tensors[expected.name]!
            guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: expected.name) }
            values.append(tensor.values)
        }
        return Decoded(
            values: values,
            optimizer: try decodeOptimizer(file, reader: reader, versionFour: versionFour),
            training: try decodeTraining(file, reader: reader, versionFour: versionFour))
    }

    /// The file at `path` as both checkpoint readers read it: the header alone first; the
    /// codec `codecFor` makes from its metadata (nil: metadata a checkpoint's initializer
    /// will refuse) checks every model and optimizer tensor's name and shape; then the
    /// reserved tensors and the extra ones `keepingExtra` keeps (nil: all) are read, if
    /// their bytes fit in `byteBudget` — nothing is allocated before that.
    /// - Complexity: O(*n*) for *n* bytes of the tensors read.
    static func readFile(
        path: String, byteBudget: Int, keepingExtra: ((_ name: String) -> Bool)?,
        codecFor: ([String: String]) -> CheckpointCodec?
    ) throws -> SafeTensorsFile {
        let header = try SafeTensorsFile.readHeader(path: path)
        let codec = codecFor(header.metadata)
        try codec?.checkShapes(header.shapes)
        return try SafeTensorsFile.read(path: path, byteBudget: byteBudget) { name, _ in
            codec?.isReserved(tensor: name) ?? false || (keepingExtra?(name) ?? true)
        }
    }

    /// Checks the names and shapes of a file's tensors (from its header, before any is
    /// read): every parameter present in its shape, no other tensor under a parameter's
    /// prefix, and every optimizer tensor named `optimizer.{buffer}.{parameter}` in that
    /// parameter's shape. Throws what `decode` would for them.
    /// - Complexity: O(*t* log *t*) for *t* tensors.
    func checkShapes(_ found: [String: [Int]]) throws(CheckpointError) {
        for expected in shapes {
            guard let shape = found[expected.name] else { throw .missingTensor(expected.name) }
            guard shape == expected.shape else {
                var because = architecture
                if let hint = shapeHint(expected, shape) { because += " (\(hint))" }
                throw .shapeMismatch(tensor: expected.name, shape: shape, expected: expected.shape, because: because)
            }
        }
        let expected = Dictionary(uniqueKeysWithValues: shapes.map { ($0.name, $0.shape) })
        let modelPrefixes = reservedTensorPrefixes.subtracting([Self.optimizerPrefix, "training."])
        for name in found.keys.sorted() where modelPrefixes.contains(where: { name.hasPrefix($0) }) && expected[name] == nil {
            throw .unexpectedTensor(name, because: architecture)
        }
        for name in found.keys.sorted() where name.hasPrefix(Self.optimizerPrefix) {
            let rest = name.dropFirst(Self.optimizerPrefix.count)
            guard let dot = rest.firstIndex(of: "."), let shape = expected[String(rest[rest.index(after: dot)...])] else {
                throw .unexpectedTensor(name, because: "optimizer tensors are named optimizer.{buffer}.{parameter}")
            }
            let parameter = String(rest[rest.index(after: dot)...])
            guard found[name] == shape else {
                throw .shapeMismatch(
                    tensor: name, shape: found[name]!, expected: shape,
                    because: "it must have the shape of \(parameter)")
            }
        }
    }

    /// Optimizer state: every buffer has one tensor per parameter, in its shape.
    private func decodeOptimizer(_ file: SafeTensorsFile, reader: MetadataReader, versionFour: Bool)
        throws(CheckpointError) -> OptimizerState?
    {
        let optimizerTensors = file.tensors.keys.filter { $0.hasPrefix(Self.optimizerPrefix) }.sorted()
        guard file.metadata["optimizer"] != nil else {
            if let first = optimizerTensors.first { throw .unexpectedTensor(first, because: "the metadata names no optimizer") }
            return nil
        }
        let name = try reader.string("optimizer")
        guard let kind = OptimizerKind(rawValue: name) else { throw .unknownOptimizer(name) }
        let learningRate = try reader.float("learning_rate")
        var configuration = OptimizerConfiguration.defaults(kind, learningRate: learningRate)
        if versionFour && file.metadata["optimizer_configuration"] != nil {
            configuration = try reader.json(
                "optimizer_configuration", OptimizerConfiguration.self,
                what: "an optimizer's kind and settings")
            guard configuration.kind == kind else {
                throw .invalidMetadata(
                    key: "optimizer_configuration", value: file.metadata["optimizer_configuration"]!,
                    expected: "the settings of the optimizer the 'optimizer' key names, \(name)")
            }
            if let problem = configuration.problem { throw .optimizerState(problem) }
        }
        let stepCount = try reader.integer("optimizer_step", in: 0...Checkpoint.maximumCount)
        var bufferNames: Set<String> = []
        for tensorName in optimizerTensors {  // named optimizer.{buffer}.{parameter}: checkShapes
            let rest = tensorName.dropFirst(Self.optimizerPrefix.count)
            bufferNames.insert(String(rest.prefix { $0 != "." }))
        }
        var buffers: [String: [Float]] = [:]
        for buffer in bufferNames.sorted() {
            var flat: [Float] = []
            for parameter in shapes {
                let tensorName = "\(Self.optimizerPrefix)\(buffer).\(parameter.name)"
                guard let tensor = file.tensors[tensorName] else { throw .missingTensor(tensorName) }
                guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: tensorName) }
                flat += tensor.values
            }
            buffers[buffer] = flat
        }
        return OptimizerState(configuration: configuration, stepCount: stepCount, buffers: buffers)
    }

    /// Training state: counters, random state and (for a model that carries one) the state.
    private func decodeTraining(_ file: SafeTensorsFile, reader: MetadataReader, versionFour: Bool) throws(CheckpointError)
        -> TrainingState?
    {
        let tensor = file.tensors[Self.hiddenStateTensor]
        guard file.metadata["step"] != nil else {
            if tensor != nil { throw .unexpectedTensor(Self.hiddenStateTensor, because: "the metadata has no training step") }
            return nil
        }
        let step = try reader.integer("step", in: 0...Checkpoint.maximumCount)
        let epoch = try reader.integer("epoch", in: 0...Checkpoint.maximumCount)
        let stepInEpoch = try reader.integer("step_in_epoch", in: 0...Checkpoint.maximumCount)
        let rngState = try reader.rngState()
        var schedule: LearningRateSchedule?
        if versionFour, let text = file.metadata["learning_rate_schedule"] {
            let decoded = try reader.json("learning_rate_schedule", LearningRateSchedule.self, what: "a learning-rate schedule")
            if let problem = decoded.problem {
                throw .invalidMetadata(key: "learning_rate_schedule", value: text, expected: "a usable schedule (\(problem))")
            }
            schedule = decoded
        }
        let clipNorm = !versionFour || file.metadata["clip_norm"] == nil ? nil : try reader.float("clip_norm")
        var hidden: [Float]? = nil
        if let tensor {
            guard let state = carriedState else {
                throw .unexpectedTensor(Self.hiddenStateTensor, because: "\(architecture) carries no state between batches")
            }
            let batch = tensor.shape.count >= 2 ? tensor.shape[tensor.shape.count - 2] : 0
            guard batch >= 1, tensor.shape == Self.hiddenStateShape(state, batchSize: batch) else {
                throw .shapeMismatch(
                    tensor: Self.hiddenStateTensor, shape: tensor.shape,
                    expected: Self.hiddenStateShape(state, batchSize: max(batch, 1)),
                    because: "it must be \(Self.hiddenStateDescription(state, batch: "batch"))")
            }
            guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: Self.hiddenStateTensor) }
            hidden = tensor.values
        }
        return TrainingState(
            step: step, epoch: epoch, stepInEpoch: stepInEpoch, rngState: rngState, hiddenState: hidden,
            schedule: schedule, clipNorm: clipNorm)
    }

    /// Non-finite numbers (an optimizer whose rate overflowed, say) as the strings `inf`,
    /// `-inf` and `nan`, so that writing never fails; reading takes them back, and each
    /// value's `problem` then refuses them with the key's name.
    static let nonFiniteStrings = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// `value` as one line of JSON with sorted keys (the same bytes for the same value).
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFiniteStrings.positiveInfinity, negativeInfinity: nonFiniteStrings.negativeInfinity,
            nan: nonFiniteStrings.nan)
        // Every value is a number, a string, a Bool or a struct of them: encoding cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// `[L·D, B, H]` (PyTorch's `h_n`, block `layer·D + direction`), or for the LSTM
    /// `[2, L·D, B, H]` (`h_n` then `c_n`).
    static func hiddenStateShape(_ state: RecurrentConfiguration, batchSize: Int) -> [Int] {
        (state.cell.stateParts > 1 ? [state.cell.stateParts] : []) + [state.numLayers * state.directions, batchSize, state.hiddenSize]
    }

    static func hiddenStateDescription(_ state: RecurrentConfiguration, batch: String) -> String {
        let (parts, L, H) = (state.cell.stateParts, state.numLayers * state.directions, state.hiddenSize)
        let blocks = state.bidirectional ? "num_layers·2" : "num_layers"
        return parts > 1
            ? "[\(parts), \(blocks), \(batch), hidden_size] = [\(parts), \(L), \(batch), \(H)] (h then c)"
            : "[\(blocks), \(batch), hidden_size] = [\(L), \(batch), \(H)]"
    }
}

extension ParameterStore {
    /// Sets every tensor from `values`, in the order of `shapes`, which must be this
    /// store's layout (the model was built from the configuration that gave `shapes`).
    func load(_ values: [[Float]], shapes: [ParameterShape]) {
        precondition(
            slots.map { ParameterShape(name: $0.name, shape: $0.shape) } == shapes,
            "the model's parameters are not the layout its configuration describes")
        for (slot, tensor) in zip(slots, values) { setTensor(slot.name, tensor) }
    }
}
