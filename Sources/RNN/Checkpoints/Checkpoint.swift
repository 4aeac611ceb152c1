import Linalg
import SafeTensors

/// A character model, its vocabulary and (optionally) everything needed to resume its
/// training exactly, mapped to and from a `SafeTensors` file.
///
/// The layout (format `swift-rnn.charrnn`; `G` = 1 for `cell` rnn, 3 for gru, 4 for lstm):
/// ```text
/// tensors (F32)
///   rnn.weight_ih_l{k} [G·H, I_k]  rnn.weight_hh_l{k} [G·H, H]  the model, under PyTorch's
///   rnn.bias_ih_l{k}   [G·H]       rnn.bias_hh_l{k}   [G·H]     state_dict names of
///   fc.weight          [V, H]      fc.bias            [V]       nn.RNN/GRU/LSTM + nn.Linear
///   optimizer.{buffer}.{parameter}   the optimizer's moment buffers, one per parameter,
///                                    in the parameter's shape (e.g. optimizer.exp_avg.fc.bias)
///   training.hidden_state            the state carried between truncated-BPTT chunks:
///                                    [L, B, H] (rnn, gru: PyTorch's h_n), or
///                                    [2, L, B, H] (lstm: h_n then c_n)
///   anything else                    extra tensors (`tensors`), e.g. a loss history
/// __metadata__ (strings)
///   format "swift-rnn.charrnn", format_version, cell (rnn|gru|lstm; absent = rnn),
///   vocabulary (the characters, in token order), vocab_size, hidden_size, num_layers,
///   nonlinearity (tanh|relu; rnn only, absent for gru and lstm), initialization;
///   with optimizer state: optimizer (adam|sgd|adagrad|rmsprop), learning_rate, optimizer_step;
///   with training state: step, epoch, step_in_epoch, rng_state ("w0,w1,w2,w3");
///   anything else: extra metadata (`metadata`)
/// ```
///
/// `format_version` is the oldest version that reads the file: 1 for a vanilla RNN (the
/// original layout, which older readers still load), 2 for a GRU or LSTM (so an older
/// reader says to update instead of failing on the gate-stacked shapes).
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
    /// The newest `format_version` this code reads (and writes, for GRU and LSTM models).
    public static let formatVersion = 2
    /// The `format_version` written for a model with `cell`: the oldest reader that can load it.
    public static func formatVersion(for cell: RecurrentCell) -> Int { cell == .rnn ? 1 : 2 }
    /// Metadata keys that `Checkpoint` itself writes and interprets.
    public static let reservedMetadataKeys: Set<String> = [
        "format", "format_version", "cell", "vocabulary", "vocab_size", "hidden_size", "num_layers",
        "nonlinearity", "initialization", "optimizer", "learning_rate", "optimizer_step",
        "step", "epoch", "step_in_epoch", "rng_state",
    ]
    /// The name of the carried hidden state tensor.
    public static let hiddenStateTensor = "training.hidden_state"
    /// The prefix of optimizer buffer tensors.
    public static let optimizerPrefix = "optimizer."

    /// The model (its parameters hold the checkpoint's values).
    public let model: ManyToManyModel
    /// The characters, index = token (`model`'s input and output size).
    public let vocabulary: Vocabulary
    /// How the model was initialized (informational; nil when unknown).
    public var initialization: RecurrentInitialization?
    /// Optimizer name, learning rate, step count and moment buffers, for resuming.
    public var optimizer: OptimizerState?
    /// Step counters, RNG state and carried hidden state, for resuming.
    public var training: TrainingState?
    /// Extra metadata (keys other than `reservedMetadataKeys`).
    public var metadata: [String: String]
    /// Extra tensors (names outside `rnn.`, `fc.`, `optimizer.` and `training.`).
    public var tensors: [String: SafeTensors.Tensor]

    /// A checkpoint of `model` with `vocabulary` (whose size must be the model's input
    /// and output size).
    public init(model: ManyToManyModel, vocabulary: Vocabulary, initialization: RecurrentInitialization? = nil,
                optimizer: OptimizerState? = nil, training: TrainingState? = nil,
                metadata: [String: String] = [:], tensors: [String: SafeTensors.Tensor] = [:]) {
        precondition(vocabulary.count == model.rnn.inputSize && vocabulary.count == model.outputSize,
                     "vocabulary of \(vocabulary.count) characters for a model \(model.rnn.inputSize) -> \(model.outputSize)")
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
    public var safeTensors: SafeTensors {
        var file = SafeTensors()
        let rnn = model.rnn
        for key in metadata.keys {
            precondition(!Self.reservedMetadataKeys.contains(key), "metadata key '\(key)' is reserved by Checkpoint")
        }
        file.metadata = metadata
        file.metadata["format"] = Self.format
        file.metadata["format_version"] = String(Self.formatVersion(for: rnn.cell))
        file.metadata["cell"] = rnn.cell.rawValue
        file.metadata["vocabulary"] = vocabulary.joined
        file.metadata["vocab_size"] = String(vocabulary.count)
        file.metadata["hidden_size"] = String(rnn.hiddenSize)
        file.metadata["num_layers"] = String(rnn.numLayers)
        if let nonlinearity = rnn.vanillaNonlinearity { file.metadata["nonlinearity"] = nonlinearity.rawValue }
        if let initialization { file.metadata["initialization"] = initialization.rawValue }

        let store = model.parameters
        for slot in store.slots {
            file.tensors[slot.name] = .init(shape: slot.shape, values: Array(store.values[slot.range]))
        }
        if let optimizer {
            file.metadata["optimizer"] = optimizer.name
            file.metadata["learning_rate"] = String(optimizer.learningRate)
            file.metadata["optimizer_step"] = String(optimizer.stepCount)
            for (buffer, values) in optimizer.buffers {
                precondition(values.count == store.count,
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
            if let h = training.hiddenState {
                let perSequence = rnn.stateSize(batchSize: 1)
                precondition(!h.isEmpty && h.count % perSequence == 0,
                             "hidden state of \(h.count) values is not \(Self.hiddenStateDescription(cell: rnn.cell, numLayers: rnn.numLayers, batch: "B", hiddenSize: rnn.hiddenSize))")
                file.tensors[Self.hiddenStateTensor] = .init(
                    shape: Self.hiddenStateShape(cell: rnn.cell, numLayers: rnn.numLayers, batchSize: h.count / perSequence,
                                                 hiddenSize: rnn.hiddenSize),
                    values: h)
            }
        }
        for (name, tensor) in tensors {
            precondition(!Self.isReservedTensorName(name), "tensor name '\(name)' is reserved by Checkpoint")
            file.tensors[name] = tensor
        }
        return file
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
    public static let maximumCount = 1 << 53

    /// Reads the checkpoint at `path`; throws `SafeTensorsError` for an unreadable or
    /// malformed file, `CheckpointError` for a well-formed file that is not a valid checkpoint.
    public static func read(path: String) throws -> Checkpoint {
        try Checkpoint(try SafeTensors.read(path: path))
    }

    /// The checkpoint stored in `file`, validated completely before the model is built.
    public init(_ file: SafeTensors) throws(CheckpointError) {
        let reader = MetadataReader(metadata: file.metadata)
        if let format = file.metadata["format"], format != Self.format {
            throw .unsupportedFormat(format)
        }
        if let versionText = file.metadata["format_version"] {
            guard let version = Int(versionText), version >= 1 else {
                throw .invalidMetadata(key: "format_version", value: versionText, expected: "a positive integer")
            }
            guard version <= Self.formatVersion else { throw .unsupportedVersion(version) }
        }
        let cell: RecurrentCell = file.metadata["cell"] == nil ? .rnn : try reader.enumeration("cell", RecurrentCell.self)
        let vocabulary = try reader.vocabulary()
        let hiddenSize = try reader.integer("hidden_size", in: 1...(1 << 20))
        let numLayers = try reader.integer("num_layers", in: 1...1024)
        // The vanilla RNN needs its activation; GRU and LSTM have fixed ones (tanh or absent).
        let nonlinearity: Nonlinearity = cell == .rnn || file.metadata["nonlinearity"] != nil
            ? try reader.enumeration("nonlinearity", Nonlinearity.self) : .tanh
        if cell != .rnn && nonlinearity != .tanh {
            throw .invalidMetadata(key: "nonlinearity", value: nonlinearity.rawValue,
                                   expected: "tanh or no value: it applies to the vanilla RNN only, not \(cell)")
        }
        let initialization: RecurrentInitialization? = file.metadata["initialization"] == nil
            ? nil : try reader.enumeration("initialization", RecurrentInitialization.self)
        if cell != .rnn && initialization == .identity {
            throw .invalidMetadata(key: "initialization", value: "identity",
                                   expected: "default or orthogonal: identity applies to the vanilla RNN only, not \(cell)")
        }
        let V = vocabulary.count, H = hiddenSize, gH = cell.gateCount * hiddenSize
        if let sizeText = file.metadata["vocab_size"], Int(sizeText) != V {
            throw .invalidMetadata(key: "vocab_size", value: sizeText,
                                   expected: "\(V), the number of characters in 'vocabulary'")
        }

        // The model's tensors, in registration order, with the shapes the metadata implies.
        var expected: [(name: String, shape: [Int])] = []
        for k in 0..<numLayers {
            expected.append(("rnn.weight_ih_l\(k)", [gH, k == 0 ? V : H]))
            expected.append(("rnn.weight_hh_l\(k)", [gH, H]))
            expected.append(("rnn.bias_ih_l\(k)", [gH]))
            expected.append(("rnn.bias_hh_l\(k)", [gH]))
        }
        expected.append(("fc.weight", [V, H]))
        expected.append(("fc.bias", [V]))
        let architecture = "cell \(cell), hidden_size \(H), num_layers \(numLayers) and a vocabulary of \(V) characters"
        for (name, shape) in expected {
            guard let tensor = file.tensors[name] else { throw .missingTensor(name) }
            guard tensor.shape == shape else {
                var because = architecture
                // Gate blocks of another cell: most likely a missing or wrong 'cell' key.
                if name.hasPrefix("rnn."), let other = RecurrentCell.allCases.first(where: {
                    $0 != cell && tensor.shape == [$0.gateCount * H] + shape.dropFirst()
                }) {
                    because += " (the shape is that of a \(other) layer; is the 'cell' metadata '\(file.metadata["cell"] ?? "")' right?)"
                }
                throw .shapeMismatch(tensor: name, shape: tensor.shape, expected: shape, because: because)
            }
            guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: name) }
        }
        let expectedNames = Set(expected.map(\.name))
        for name in file.tensors.keys.sorted() where (name.hasPrefix("rnn.") || name.hasPrefix("fc.")) && !expectedNames.contains(name) {
            throw .unexpectedTensor(name, because: architecture)
        }

        // Optimizer state: every buffer has one tensor per parameter, in its shape.
        var optimizer: OptimizerState? = nil
        let optimizerTensors = file.tensors.keys.filter { $0.hasPrefix(Self.optimizerPrefix) }.sorted()
        if file.metadata["optimizer"] != nil {
            let name = try reader.string("optimizer")
            guard makeOptimizer(named: name, learningRate: 0) != nil else { throw .unknownOptimizer(name) }
            let learningRate = try reader.float("learning_rate")
            let stepCount = try reader.integer("optimizer_step", in: 0...Self.maximumCount)
            var bufferNames: Set<String> = []
            for tensorName in optimizerTensors {
                let rest = tensorName.dropFirst(Self.optimizerPrefix.count)
                guard let dot = rest.firstIndex(of: "."), expectedNames.contains(String(rest[rest.index(after: dot)...])) else {
                    throw .unexpectedTensor(tensorName, because: "optimizer tensors are named optimizer.{buffer}.{parameter}")
                }
                bufferNames.insert(String(rest[..<dot]))
            }
            var buffers: [String: [Float]] = [:]
            for buffer in bufferNames.sorted() {
                var flat: [Float] = []
                for (parameter, shape) in expected {
                    let tensorName = "\(Self.optimizerPrefix)\(buffer).\(parameter)"
                    guard let tensor = file.tensors[tensorName] else { throw .missingTensor(tensorName) }
                    guard tensor.shape == shape else {
                        throw .shapeMismatch(tensor: tensorName, shape: tensor.shape, expected: shape,
                                             because: "it must have the shape of \(parameter)")
                    }
                    guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: tensorName) }
                    flat += tensor.values
                }
                buffers[buffer] = flat
            }
            optimizer = OptimizerState(name: name, learningRate: learningRate, stepCount: stepCount, buffers: buffers)
        } else if let first = optimizerTensors.first {
            throw .unexpectedTensor(first, because: "the metadata names no optimizer")
        }

        // Training state.
        var training: TrainingState? = nil
        if file.metadata["step"] != nil {
            let step = try reader.integer("step", in: 0...Self.maximumCount)
            let epoch = try reader.integer("epoch", in: 0...Self.maximumCount)
            let stepInEpoch = try reader.integer("step_in_epoch", in: 0...Self.maximumCount)
            let rngState = try reader.rngState()
            var hidden: [Float]? = nil
            if let tensor = file.tensors[Self.hiddenStateTensor] {
                let batch = tensor.shape.count >= 2 ? tensor.shape[tensor.shape.count - 2] : 0
                guard batch >= 1, tensor.shape == Self.hiddenStateShape(cell: cell, numLayers: numLayers, batchSize: batch, hiddenSize: H) else {
                    throw .shapeMismatch(tensor: Self.hiddenStateTensor, shape: tensor.shape,
                                         expected: Self.hiddenStateShape(cell: cell, numLayers: numLayers, batchSize: max(batch, 1), hiddenSize: H),
                                         because: "it must be \(Self.hiddenStateDescription(cell: cell, numLayers: numLayers, batch: "batch", hiddenSize: H))")
                }
                guard tensor.values.allSatisfy(\.isFinite) else { throw .nonFiniteValues(tensor: Self.hiddenStateTensor) }
                hidden = tensor.values
            }
            training = TrainingState(step: step, epoch: epoch, stepInEpoch: stepInEpoch, rngState: rngState, hiddenState: hidden)
        } else if file.tensors[Self.hiddenStateTensor] != nil {
            throw .unexpectedTensor(Self.hiddenStateTensor, because: "the metadata has no training step")
        }

        // Everything checked: build the model and fill it.
        var rng = SeededRandom(seed: 0)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: numLayers,
                                    cell: cell, nonlinearity: nonlinearity, using: &rng)
        for (name, _) in expected { model.parameters.setTensor(name, file.tensors[name]!.values) }

        self.init(model: model, vocabulary: vocabulary, initialization: initialization,
                  optimizer: optimizer, training: training,
                  metadata: file.metadata.filter { !Self.reservedMetadataKeys.contains($0.key) },
                  tensors: file.tensors.filter { !Self.isReservedTensorName($0.key) })
    }

    /// The shape of `training.hidden_state`: `[L, B, H]` (PyTorch's `h_n`), or for the
    /// LSTM `[2, L, B, H]` (`h_n` then `c_n`) — `stateSize(batchSize:)` values either way.
    public static func hiddenStateShape(cell: RecurrentCell, numLayers: Int, batchSize: Int, hiddenSize: Int) -> [Int] {
        (cell.stateParts > 1 ? [cell.stateParts] : []) + [numLayers, batchSize, hiddenSize]
    }

    static func hiddenStateDescription(cell: RecurrentCell, numLayers: Int, batch: String, hiddenSize: Int) -> String {
        cell.stateParts > 1
            ? "[\(cell.stateParts), num_layers, \(batch), hidden_size] = [\(cell.stateParts), \(numLayers), \(batch), \(hiddenSize)] (h then c)"
            : "[num_layers, \(batch), hidden_size] = [\(numLayers), \(batch), \(hiddenSize)]"
    }

    static func isReservedTensorName(_ name: String) -> Bool {
        name.hasPrefix("rnn.") || name.hasPrefix("fc.") || name.hasPrefix(optimizerPrefix) || name.hasPrefix("training.")
    }

    // MARK: - Compatibility

    /// Checks that text with `vocabulary` can be used with this checkpoint: every character
    /// of `vocabulary` must be in the checkpoint's (the model's token ids are fixed).
    /// Throws `vocabularyMismatch` listing the characters the checkpoint does not know.
    public func checkCovers(_ vocabulary: Vocabulary) throws(CheckpointError) {
        let unknown = vocabulary.characters.filter { self.vocabulary.token(for: $0) == nil }
        if !unknown.isEmpty {
            throw .vocabularyMismatch(unknown: unknown, checkpointSize: self.vocabulary.count)
        }
    }
}

/// Step counters, random generator state and the carried hidden state of a training
/// run, so that a resumed run continues exactly where the checkpoint was taken.
public struct TrainingState: Equatable, Sendable {
    /// Optimizer steps done.
    public var step: Int
    /// Completed epochs (the 0-based index of the current epoch).
    public var epoch: Int
    /// Chunks of the current epoch done.
    public var stepInEpoch: Int
    /// `SeededRandom.state` (four words).
    public var rngState: [UInt32]
    /// The state carried into the next chunk, `RecurrentStack.stateSize(batchSize: B)`
    /// values (`[parts, numLayers, B, H]` flattened, parts = 2 for the LSTM: h then c),
    /// or nil at an epoch boundary (zeros).
    public var hiddenState: [Float]?

    public init(step: Int, epoch: Int, stepInEpoch: Int, rngState: [UInt32], hiddenState: [Float]? = nil) {
        precondition(rngState.count == 4, "rngState has 4 words, got \(rngState.count)")
        self.step = step
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
        self.rngState = rngState
        self.hiddenState = hiddenState
    }
}

/// An optimizer's name, learning rate, step count and moment buffers (each of the
/// parameter buffer's layout), detached from the optimizer object.
public struct OptimizerState: Equatable, Sendable {
    /// `adam`, `sgd`, `adagrad` or `rmsprop` (see `makeOptimizer(named:learningRate:)`).
    public var name: String
    public var learningRate: Float
    public var stepCount: Int
    /// Buffer name (e.g. `exp_avg`) -> values, in the parameter buffer's layout.
    public var buffers: [String: [Float]]

    public init(name: String, learningRate: Float, stepCount: Int, buffers: [String: [Float]]) {
        self.name = name
        self.learningRate = learningRate
        self.stepCount = stepCount
        self.buffers = buffers
    }

    /// The current state of `optimizer`.
    public init(capturing optimizer: Optimizer) {
        self.init(name: optimizer.name, learningRate: optimizer.learningRate, stepCount: optimizer.stepCount,
                  buffers: optimizer.stateBuffers)
    }

    /// A new optimizer (PyTorch defaults besides the learning rate) in this state, for
    /// the parameters in `store`. Throws when the name is unknown, a buffer does not have
    /// `store.count` values, or the buffers are not the ones this optimizer keeps.
    public func makeOptimizer(for store: ParameterStore) throws(CheckpointError) -> Optimizer {
        guard let optimizer = RNN.makeOptimizer(named: name, learningRate: learningRate) else {
            throw .unknownOptimizer(name)
        }
        for (buffer, values) in buffers.sorted(by: { $0.key < $1.key }) where values.count != store.count {
            throw .optimizerState("buffer '\(buffer)' has \(values.count) values, the model has \(store.count) parameters")
        }
        do {
            try optimizer.restore(stateBuffers: buffers, stepCount: stepCount)
        } catch {
            throw .optimizerState("\(error)")
        }
        let kept = Set(optimizer.stateBuffers.keys), given = Set(buffers.keys)
        if kept != given {
            let extra = given.subtracting(kept).sorted(), missing = kept.subtracting(given).sorted()
            throw .optimizerState(extra.isEmpty
                ? "\(name) needs the buffers \(missing.joined(separator: ", "))"
                : "\(name) keeps no buffer named \(extra.joined(separator: ", "))")
        }
        return optimizer
    }
}

/// Why a well-formed safetensors file is not a usable checkpoint.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// `format` names a different format.
    case unsupportedFormat(String)
    /// `format_version` is newer than this code.
    case unsupportedVersion(Int)
    /// A required metadata key is absent.
    case missingMetadata(String)
    /// A metadata value cannot be used.
    case invalidMetadata(key: String, value: String, expected: String)
    /// A tensor the metadata calls for is absent.
    case missingTensor(String)
    /// A tensor whose shape disagrees with the metadata.
    case shapeMismatch(tensor: String, shape: [Int], expected: [Int], because: String)
    /// A model or optimizer tensor that the metadata does not call for.
    case unexpectedTensor(String, because: String)
    /// A tensor holding NaN or infinity.
    case nonFiniteValues(tensor: String)
    /// An optimizer name `makeOptimizer(named:learningRate:)` does not know.
    case unknownOptimizer(String)
    /// Optimizer buffers that do not fit the optimizer or the model.
    case optimizerState(String)
    /// Text has characters the checkpoint's vocabulary lacks.
    case vocabularyMismatch(unknown: [Unicode.Scalar], checkpointSize: Int)

    public var description: String {
        switch self {
        case .unsupportedFormat(let f):
            return "the file's format is '\(f)', not '\(Checkpoint.format)'; it is not a charrnn checkpoint"
        case .unsupportedVersion(let v):
            return "the checkpoint has format_version \(v); this program reads up to version \(Checkpoint.formatVersion) (update swift-rnn)"
        case .missingMetadata(let key):
            return "the checkpoint has no '\(key)' metadata; it is not a charrnn checkpoint (or is incomplete)"
        case .invalidMetadata(let key, let value, let expected):
            return "the checkpoint's '\(key)' metadata is '\(Self.shorten(value))', expected \(expected)"
        case .missingTensor(let name):
            return "the checkpoint has no tensor '\(name)'; the file is incomplete or its metadata is wrong"
        case .shapeMismatch(let name, let shape, let expected, let because):
            return "tensor '\(name)' has shape \(shape) but should be \(expected): \(because)"
        case .unexpectedTensor(let name, let because):
            return "unexpected tensor '\(name)' in the checkpoint: \(because)"
        case .nonFiniteValues(let name):
            return "tensor '\(name)' contains NaN or infinite values; the checkpoint is corrupt"
        case .unknownOptimizer(let name):
            return "unknown optimizer '\(name)' in the checkpoint (known: adam, sgd, adagrad, rmsprop)"
        case .optimizerState(let detail):
            return "the checkpoint's optimizer state does not fit: \(detail)"
        case .vocabularyMismatch(let unknown, let size):
            let shown = unknown.prefix(10).map { Self.describe($0) }.joined(separator: ", ")
            let more = unknown.count > 10 ? " and \(unknown.count - 10) more" : ""
            return "the text has \(unknown.count) character\(unknown.count == 1 ? "" : "s") that the checkpoint's vocabulary of \(size) lacks: \(shown)\(more)"
        }
    }

    /// `'x' (U+0078)`, with control characters escaped.
    public static func describe(_ c: Unicode.Scalar) -> String {
        "'\(c.escaped(asASCII: false))' (U+\(String(c.value, radix: 16, uppercase: true).leftPadded(to: 4)))"
    }

    static func shorten(_ s: String) -> String {
        s.unicodeScalars.count <= 60 ? s : String(String.UnicodeScalarView(s.unicodeScalars.prefix(57))) + "..."
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}

/// Typed access to checkpoint metadata with precise errors.
private struct MetadataReader {
    let metadata: [String: String]

    func string(_ key: String) throws(CheckpointError) -> String {
        guard let value = metadata[key] else { throw .missingMetadata(key) }
        return value
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(CheckpointError) -> Int {
        let text = try string(key)
        guard let value = Int(text), range.contains(value) else {
            let bound = range.upperBound == Int.max ? "an integer >= \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
            throw .invalidMetadata(key: key, value: text, expected: bound)
        }
        return value
    }

    func float(_ key: String) throws(CheckpointError) -> Float {
        let text = try string(key)
        guard let value = Float(text), value.isFinite, value >= 0 else {
            throw .invalidMetadata(key: key, value: text, expected: "a finite non-negative number")
        }
        return value
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(CheckpointError) -> E
    where E.RawValue == String {
        let text = try string(key)
        guard let value = E(rawValue: text) else {
            throw .invalidMetadata(key: key, value: text, expected: "one of " + E.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    func vocabulary() throws(CheckpointError) -> Vocabulary {
        let text = try string("vocabulary")
        let characters = Array(text.unicodeScalars)
        guard !characters.isEmpty else {
            throw .invalidMetadata(key: "vocabulary", value: text, expected: "at least one character")
        }
        var seen: Set<Unicode.Scalar> = []
        for c in characters where !seen.insert(c).inserted {
            throw .invalidMetadata(key: "vocabulary", value: text,
                                   expected: "distinct characters, but \(CheckpointError.describe(c)) repeats")
        }
        return Vocabulary(characters: characters)
    }

    func rngState() throws(CheckpointError) -> [UInt32] {
        let text = try string("rng_state")
        let words = text.split(separator: ",", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard words.count == 4, text.split(separator: ",", omittingEmptySubsequences: false).count == 4 else {
            throw .invalidMetadata(key: "rng_state", value: text, expected: "four unsigned 32-bit integers separated by commas")
        }
        return words
    }
}
