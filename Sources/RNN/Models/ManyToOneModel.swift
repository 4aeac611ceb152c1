import Linalg

/// Many-to-one: one output per sequence, read at each sequence's **own last step**, so
/// sequences of different lengths share a padded batch (sentence classification,
/// sequence regression). Parameters `rnn.*` and `fc.*`, as `ManyToManyModel`'s.
///
/// A sentence classifier, trained on two threads and saved:
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = ManyToOneModel(inputSize: 10, hiddenSize: 16, outputSize: 2, using: &rng)
/// // B = 2 sequences, padded to T = 3: lengths 3 and 1 (padding rows hold -1, or any token)
/// let batch = ManyToOneModel.Batch(input: .tokens([4, 7,  2, -1,  9, -1]), labels: [1, 0],
///                                  batchSize: 2, lengths: [3, 1])
/// let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2)
/// try trainer.step(batch)
/// let classes = model.predict(batch)                       // [B] class indices
/// try ModelCheckpoint(model: model).write(path: "classifier.safetensors")
/// ```
/// Padding never changes outputs or gradients: the recurrence is causal, and no
/// gradient enters a sequence after its last step.
/// - Complexity: `O(T·B·H·(I + H·L) + B·H·O)` per forward and per backward; allocates
///   only when `(B, T)` grow.
public final class ManyToOneModel: SequenceModel {
    public let parameters = ParameterStore()
    /// The token embedding before the stack, when the configuration has one.
    public let embedding: Embedding?
    public let rnn: RecurrentStack
    public let fc: Linear
    public let configuration: Configuration
    /// The training step whose dropout masks the next `computeGradients` draws (`Trainer`
    /// sets it; each `computeGradients` advances it).
    public var trainingStep = 0
    let layers: StackWithOutput
    let lastHidden = FloatBuffer()  // [B, D·H]
    let lastHiddenGradient = FloatBuffer()
    let logitBuffer = FloatBuffer()  // [B, O]
    /// Each sequence's length in the last forward.
    var lengths: [Int] = []

    /// When set, training steps time their phases into it (also attached to `rnn`).
    public var profiler: PhaseProfiler? {
        didSet { rnn.profiler = profiler }
    }

    /// The sizes: `inputSize` (tokens or vector width), `outputSize` classes, and the stack
    /// (`Codable`: one JSON object in a checkpoint).
    public typealias Configuration = StackWithOutputConfiguration<LastStep>

    /// `B` sequences padded to `T` steps, time-major, each with one label, its length and
    /// (optionally) the state to start from.
    public struct Batch: SequenceBatch {
        /// The index of sequence 0 in the whole batch this one was cut from (the dropout
        /// masks follow whole-batch indices; 0 for a whole batch).
        public var firstSequence = 0
        /// `[T*B]` tokens or `[T*B, I]` vectors.
        public var input: SequenceInput
        /// `[B]` class indices, `-1` = not counted.
        public var labels: [Int32]
        public var batchSize: Int
        /// `[B]` lengths in `1...T`, or nil: every sequence has all `T` steps.
        public var lengths: [Int]?
        /// `rnn.stateSize(batchSize: B)` values, or nil for zeros.
        public var initialState: [Float]?

        public init() {
            self.init(input: .tokens([]), labels: [], batchSize: 0)
        }

        public init(
            input: SequenceInput, labels: [Int32], batchSize: Int, lengths: [Int]? = nil,
            initialState: [Float]? = nil
        ) {
            precondition(labels.count == batchSize, "\(labels.count) labels for a batch of \(batchSize)")
            precondition(lengths == nil || lengths!.count == batchSize, "\(lengths!.count) lengths for a batch of \(batchSize)")
            self.input = input
            self.labels = labels
            self.batchSize = batchSize
            self.lengths = lengths
            self.initialState = initialState
        }

        public var countedTargets: Int { SoftmaxCrossEntropy.countedTargets(labels) }

        public mutating func takeSequences(_ range: Range<Int>, of batch: Batch, stateBlocks: Int) {
            let B = batch.batchSize
            input.takeSequences(range, of: batch.input, batchSize: B)
            TimeMajor.gather(batch.labels, width: 1, steps: 1, batchSize: B, sequences: range, into: &labels)
            TimeMajor.gatherLengths(batch.lengths, sequences: range, into: &lengths)
            TimeMajor.gatherState(batch.initialState, blocks: stateBlocks, batchSize: B, sequences: range, into: &initialState)
            batchSize = range.count
            firstSequence = batch.firstSequence + range.lowerBound
        }
    }

    public init(_ configuration: Configuration, using rng: inout SeededRandom) {
        self.configuration = configuration
        layers = configuration.make(parameters: parameters)
        (embedding, rnn, fc) = (layers.embedding, layers.rnn, layers.fc)
        layers.initialize(.pytorchDefault, using: &rng)
    }

    public convenience init(
        inputSize: Int, hiddenSize: Int, outputSize: Int, numLayers: Int = 1,
        cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh, using rng: inout SeededRandom
    ) {
        self.init(
            Configuration(
                inputSize: inputSize, outputSize: outputSize,
                recurrent: RecurrentConfiguration(
                    cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
                    nonlinearity: cell == .rnn ? nonlinearity : .tanh)),
            using: &rng)
    }

    public var stateBlocks: Int { rnn.cell.stateParts * rnn.numLayers * rnn.directions }
    /// False for a bidirectional stack: its reverse direction would start the next batch
    /// from the past (each batch starts from zeros, or its own `initialState`).
    public var carriesState: Bool { !rnn.isBidirectional }
    public var stateWidth: Int { rnn.hiddenSize }
    /// The state after each sequence's own last step.
    public func finalState(into out: inout [Float]) { rnn.finalState(lengths: lengths, into: &out) }

    /// Runs the stack and the output layer (with dropout when `noise` is given); the
    /// logits `[B, O]` are in `logitBuffer`. Returns the output layer's input `[B, D·H]`.
    @discardableResult
    private func runForward(_ batch: Batch, noise: DropoutNoise? = nil) -> UnsafePointer<Float> {
        let B = batch.batchSize, W = rnn.outputWidth
        layers.forward(batch.input, batchSize: B, initialState: batch.initialState, noise: noise, lengths: batch.lengths)
        lengths.removeAll(keepingCapacity: true)
        if let given = batch.lengths {
            lengths.append(contentsOf: given)
        } else {
            lengths.append(contentsOf: repeatElement(rnn.steps, count: B))
        }
        rnn.checkLengths(lengths)
        return profiler.measure(.outputAndLoss) {
            lastHidden.resize(B * W)
            rnn.gatherFinalOutputs(lengths: lengths, into: lastHidden.pointer)
            logitBuffer.resize(B * fc.outputSize)
            let x = layers.outputLayerInput(lastHidden.pointer, steps: 1, batchSize: B)
            fc.forward(x, rows: B, into: logitBuffer.pointer)
            return x
        }
    }

    /// Zeroes the gradients, then forward (with the dropout of training step
    /// `trainingStep`, which it then advances), softmax cross-entropy against
    /// `batch.labels`, and backward; returns the mean loss over the counted labels.
    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        let noise = layers.trainingNoise(step: trainingStep, firstSequence: batch.firstSequence)
        trainingStep += 1
        let fcInput = runForward(batch, noise: noise)
        let B = batch.batchSize, W = rnn.outputWidth
        let loss = profiler.measure(.outputAndLoss) {
            let logits = logitBuffer.pointer
            let loss = batch.labels.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.compute(
                    logits: logits, rows: B, classes: fc.outputSize, targets: t.baseAddress!,
                    gradient: logits
                ).loss
            }
            lastHiddenGradient.resize(B * W)
            fc.backward(logits, input: fcInput, rows: B, inputGradient: lastHiddenGradient.pointer)
            layers.outputLayerInputBackward(lastHiddenGradient.pointer, rows: B)
            rnn.scatterFinalOutputGradient(lastHiddenGradient.pointer, lengths: lengths)
            return loss
        }
        rnn.backward()
        layers.backwardInput()
        return loss
    }

    /// `computeGradients` of the batch of these arguments (see `Batch`).
    @discardableResult
    public func computeGradients(_ input: SequenceInput, labels: [Int32], batchSize: Int, lengths: [Int]? = nil) -> Double {
        computeGradients(Batch(input: input, labels: labels, batchSize: batchSize, lengths: lengths))
    }

    /// The mean cross-entropy of `batch.labels`, gradients untouched.
    public func loss(_ batch: Batch) -> Double {
        runForward(batch)
        return batch.labels.withUnsafeBufferPointer { t in
            SoftmaxCrossEntropy.compute(
                logits: logitBuffer.pointer, rows: batch.batchSize, classes: fc.outputSize,
                targets: t.baseAddress!, gradient: nil
            ).loss
        }
    }

    /// The outputs `[B, outputSize]` at each sequence's last step (`lengths`, all `T` when nil).
    public func forward(_ input: SequenceInput, batchSize: Int, lengths: [Int]? = nil) -> Matrix {
        runForward(Batch(input: input, labels: [Int32](repeating: -1, count: batchSize), batchSize: batchSize, lengths: lengths))
        return Matrix(rows: batchSize, cols: fc.outputSize, storage: logitBuffer.array)
    }

    /// The most likely class of each sequence of `batch` (its labels are not read).
    public func predict(_ batch: Batch) -> [Int32] {
        runForward(batch)
        let O = fc.outputSize, logits = logitBuffer.pointer
        return (0..<batch.batchSize).map { b in
            var best = 0
            for c in 1..<O where logits[b * O + c] > logits[b * O + best] { best = c }
            return Int32(best)
        }
    }

    /// The most likely class of each sequence.
    public func predict(_ input: SequenceInput, batchSize: Int, lengths: [Int]? = nil) -> [Int32] {
        predict(Batch(input: input, labels: [Int32](repeating: -1, count: batchSize), batchSize: batchSize, lengths: lengths))
    }
}
