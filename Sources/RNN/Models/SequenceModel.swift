import Linalg

/// A trainable sequence model: a parameter store, a batch type, and the one operation
/// training needs — zero the gradients, run forward and backward, return the loss.
///
/// The architectures (`ManyToManyModel`, `ManyToOneModel`, `OneToManyModel`,
/// `EncoderDecoderModel`, `ForecastModel`, `AutoregressiveForecastModel`) conform, each on its zero-allocation path (workspaces reused;
/// nothing allocated per step once `(B, T)` stop growing). Whatever conforms trains
/// through `Trainer`, splits across threads with `DataParallelModel`, and saves and
/// resumes through `ModelCheckpoint` — a sentence classifier, for instance:
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = ManyToOneModel(.init(inputSize: 20, outputSize: 2, recurrent: .init(cell: .gru, hiddenSize: 32)), using: &rng)
/// // (Trainer, DataParallelModel and ModelCheckpoint are in the RNNTraining module.)
/// let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2)
/// let batch = ManyToOneModel.Batch(input: .tokens(tokens), labels: labels, batchSize: 32, lengths: lengths)
/// let result = try trainer.step(batch)          // zero, forward/backward, clip, check, Adam
/// let classes = model.predict(batch)
/// ```
///
/// A replica (for the thread split) is `Self(model.configuration, using: &rng)` with the
/// values copied over, so `configuration` must rebuild exactly the parameter layout.
public protocol SequenceModel: AnyObject {
    associatedtype Batch: SequenceBatch
    associatedtype Configuration: ModelConfiguration

    /// Everything needed to build this model again (sizes, cell, special tokens).
    var configuration: Configuration { get }
    /// Builds the model with freshly initialized parameters (PyTorch's defaults), drawing from `rng`.
    init(_ configuration: Configuration, using rng: inout SeededRandom)

    /// All parameters and their gradients, in one buffer each.
    var parameters: ParameterStore { get }
    /// When set, training steps time their phases into it.
    var profiler: PhaseProfiler? { get set }

    /// Zeroes the gradients, runs forward, the loss (mean over `batch.countedTargets`)
    /// and backward; afterwards `parameters.gradients` holds d(loss)/d(parameters).
    @discardableResult
    func computeGradients(_ batch: Batch) -> Double
    /// The mean loss of `batch`, gradients untouched.
    func loss(_ batch: Batch) -> Double
    /// The arithmetic of the model's matrix products: `fp32` unless `setPrecision` chose
    /// `bf16` (mixed precision; see `RecurrentStack.setPrecision`). Not stored in
    /// checkpoints: the weights stay float in either.
    var precision: Precision { get }
    /// Runs the products of later training steps and evaluations in `precision`.
    /// - Throws: `PrecisionError` where the CPU has no bf16 hardware; nothing changes.
    func setPrecision(_ precision: Precision) throws(PrecisionError)
    /// Throws a `BatchError` naming the sequence and step at fault unless this model can
    /// run `batch`: its arrays fit each other and the model's sizes (tokens in the
    /// vocabulary, targets in the classes, lengths in range, padding where it is ignored).
    /// `Trainer` checks every batch; `computeGradients` and `loss` trap on what this rejects.
    func check(_ batch: Batch) throws(BatchError)

    /// Number of `[B, H]` blocks in the state the model carries from one batch to the next
    /// (truncated BPTT): `parts · numLayers · directions` (parts = 2 for the LSTM), or 0 for a model
    /// whose initial state is computed (one-to-many, encoder-decoder). Default 0.
    var stateBlocks: Int { get }
    /// The width `H` of each state block (0 without a carried state).
    var stateWidth: Int { get }
    /// The state after the last `computeGradients` or `loss`, `[stateBlocks, B, stateWidth]`
    /// flattened, into `out` (no allocation when it already has the right size).
    /// - Precondition: `stateBlocks > 0`.
    func finalState(into out: inout [Float])

    /// The training step whose random noise (dropout masks) the next `computeGradients`
    /// draws; each `computeGradients` advances it. `Trainer` sets it from its position
    /// before every step, so a resumed run draws the masks of the uninterrupted one, and
    /// `DataParallelModel` gives its replicas the model's. Default: 0, never stored (a
    /// model without noise).
    var trainingStep: Int { get set }
    /// Whether a source whose batches continue each other (truncated BPTT) carries the
    /// state from batch to batch. Default: `stateBlocks > 0`; a bidirectional model's
    /// is false (its reverse direction would start from the past, not the future).
    var carriesState: Bool { get }
}

extension SequenceModel {
    public var stateBlocks: Int { 0 }
    public var stateWidth: Int { 0 }
    public func finalState(into out: inout [Float]) {
        preconditionFailure("\(Self.self) carries no state from batch to batch")
    }
    public var trainingStep: Int {
        get { 0 }
        set {}
    }
    public var carriesState: Bool { stateBlocks > 0 }
}

/// A batch of `B` sequences that can be cut into contiguous groups of sequences (the
/// thread split) and weighs its mean loss by the targets it counts.
public protocol SequenceBatch {
    /// An empty batch, to take sequences into.
    init()
    /// Number of sequences `B`.
    var batchSize: Int { get }
    /// Number of predictions the mean loss averages over (targets not `-1`).
    var countedTargets: Int { get }
    /// The state the recurrence starts from, `[blocks, B, H]` (the model's `stateBlocks`),
    /// or nil for zeros. A batch of a model without a carried state has none (nil; default).
    var initialState: [Float]? { get set }
    /// Makes `self` the batch of sequences `range` of `batch` (inputs, targets, and the
    /// initial state's rows when the state has `stateBlocks` blocks), reusing `self`'s
    /// storage. - Complexity: O(size of the slice).
    mutating func takeSequences(_ range: Range<Int>, of batch: Self, stateBlocks: Int)
}

extension SequenceBatch {
    public var initialState: [Float]? {
        get { nil }
        set { precondition(newValue == nil, "\(Self.self) has no initial state to set") }
    }
}

/// What builds a model again and what a checkpoint records of it: a `Codable` value (one
/// JSON object in a checkpoint) checked by `problem` before a model is built, its
/// parameter layout, and the cost figures that choose the thread split.
public protocol ModelConfiguration: Equatable, Sendable, Codable {
    /// The `architecture` metadata value (`many_to_many`, ...).
    static var architecture: String { get }
    /// The tensors the model registers, in order: what a checkpoint of it must hold.
    var parameterShapes: [ParameterShape] { get }
    /// `cell rnn, hidden_size 6, ...`: the configuration in words, for error messages.
    var summary: String { get }
    /// The recurrent stack(s)' configuration (for shape hints and the thread split).
    var recurrent: RecurrentConfiguration { get }
    /// Whether the model carries its state from batch to batch (`SequenceModel.stateBlocks`
    /// > 0): known from the configuration, so a checkpoint is checked before a model exists.
    static var carriesState: Bool { get }
    /// The training FLOPs of a batch of `batchSize` sequences of `steps` steps, from the
    /// GEMMs a step performs (multiply-add = 2).
    func trainingFlops(batchSize: Int, steps: Int) -> Double
    /// What makes these values unusable (sizes out of range, inconsistent options: a
    /// damaged or hostile file's), or nil when a model can be built from them. A
    /// checkpoint checks it before anything is allocated.
    var problem: String? { get }
    /// Whether any of the model's stacks is bidirectional (a checkpoint of it needs a
    /// reader that knows the `_reverse` tensors). Default: `recurrent.bidirectional`.
    var hasBidirectionalLayers: Bool { get }
}

extension ModelConfiguration {
    public var hasBidirectionalLayers: Bool { recurrent.bidirectional }

    /// The number of parameters (the sum of `parameterShapes`).
    public var parameterCount: Int { parameterShapes.reduce(0) { $0 + $1.count } }

    /// The floats' worth of the bf16 copies of the weights a model in `precision` keeps on
    /// top of its workspaces: none in fp32; in bf16 about twice the parameters (2 bytes a
    /// weight: the rounded weights of two threads' products, the recurrent weights packed
    /// for the per-step matmul, and the pairs of rows or packed shares of single-sequence
    /// steps). - Complexity: O(parameter tensors).
    public func precisionCopyFloats(_ precision: Precision) -> Double {
        precision == .bf16 ? 2 * Double(parameterCount) : 0
    }
}
