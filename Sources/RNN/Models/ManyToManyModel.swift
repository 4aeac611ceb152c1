import Linalg

/// Many-to-many: an output at every step (a character model, per-frame labels).
/// A recurrent stack (vanilla RNN, GRU or LSTM) over the input, then `Linear` over all `T*B` hidden states in one GEMM.
///
/// Parameters are named as PyTorch's `rnn = nn.RNN/GRU/LSTM(...)`, `fc = nn.Linear(...)` model
/// (`rnn.weight_ih_l0`, ..., `fc.weight`, `fc.bias`).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = ManyToManyModel(inputSize: 17, hiddenSize: 12, outputSize: 17, using: &rng)
/// let optimizer = Adam(learningRate: 0.01)
/// for _ in 0..<100 {
///     let loss = model.computeGradients(.tokens(inputs), targets: targets, batchSize: 3)
///     optimizer.step(model.parameters)
/// }
/// let logits = model.forward(.tokens(inputs), batchSize: 3)   // [T*B, 17]
/// ```
/// - Complexity: `O(T·B·(H·(I + H·L) + H·O))` per forward and per backward.
public final class ManyToManyModel: SequenceModel {
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
    let logitBuffer = FloatBuffer()

    /// When set, training steps time their phases into it (also attached to `rnn`).
    public var profiler: PhaseProfiler? {
        didSet { rnn.profiler = profiler }
    }

    /// The threads that evaluation and sampling split across: the stack's steps
    /// (`RecurrentStack.team`) and the output layer's rows (`Linear.team`); nil: the
    /// calling thread. Run the model inside `ComputeThreads.singleThreaded` with one.
    public var team: WorkerTeam? {
        didSet { (rnn.team, fc.team) = (team, team) }
    }

    /// Runs `body` with this model's evaluation and sampling split across `threads`
    /// threads, and puts everything back after: a team of that size on the model (its
    /// previous `team` restored) and the GEMMs single-threaded around it
    /// (`ComputeThreads.singleThreaded`), as a team needs. One thread runs `body` as it is.
    ///
    /// ```swift
    /// let loss = model.withThreads(2) { model.meanLoss(over: streams).loss }
    /// ```
    /// - Complexity: `body`'s, plus starting and stopping `threads - 1` threads.
    public func withThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        precondition(threads >= 1, "withThreads needs at least one thread, got \(threads)")
        guard threads > 1 else { return try body() }
        let previous = team
        team = WorkerTeam(size: threads)
        defer { team = previous }
        return try ComputeThreads.singleThreaded(body)
    }

    /// The sizes: `inputSize` (tokens or vector width), `outputSize` classes, and the stack
    /// (`Codable`: one JSON object in a checkpoint).
    public typealias Configuration = StackWithOutputConfiguration<EveryStep>

    /// `B` sequences of `T` steps: inputs and per-step targets, time-major, and the state to
    /// start from (truncated BPTT carries the previous chunk's `finalState`).
    public struct Batch: SequenceBatch {
        /// The index of sequence 0 in the whole batch this one was cut from (the dropout
        /// masks follow whole-batch indices; 0 for a whole batch).
        public var firstSequence = 0
        /// `[T*B]` tokens or `[T*B, I]` vectors.
        public var input: SequenceInput
        /// `[T*B]` class indices, `-1` = not counted.
        public var targets: [Int32]
        public var batchSize: Int
        /// `rnn.stateSize(batchSize: B)` values `[parts, L·D, B, H]`, or nil for zeros.
        public var initialState: [Float]?
        /// `[B]` lengths in `1...T` of sequences padded at their end (targets `-1` there),
        /// or nil: all `T` steps. A bidirectional stack's reverse direction starts at each
        /// sequence's own last step; a one-directional stack needs none (it is causal).
        public var lengths: [Int]?

        public init() {
            self.init(input: .tokens([]), targets: [], batchSize: 0)
        }

        public init(
            input: SequenceInput, targets: [Int32], batchSize: Int, initialState: [Float]? = nil,
            lengths: [Int]? = nil
        ) {
            precondition(targets.count == input.rowCount, "\(targets.count) targets for \(input.rowCount) input rows (T*B)")
            precondition(lengths == nil || lengths!.count == batchSize, "\(lengths!.count) lengths for a batch of \(batchSize)")
            self.input = input
            self.targets = targets
            self.batchSize = batchSize
            self.initialState = initialState
            self.lengths = lengths
        }

        public var countedTargets: Int { SoftmaxCrossEntropy.countedTargets(targets) }

        /// Refills a token batch of `batchSize` sequences in place: `body` receives the
        /// input tokens and the targets (emptied, their capacity kept) to append `T·B`
        /// of each to. No allocation once the arrays have grown to size.
        public mutating func refill(batchSize: Int, _ body: (inout [Int32], inout [Int32]) -> Void) {
            var tokens: [Int32] = []
            if case .tokens(let t) = input { tokens = t }
            input = .tokens([])
            var targets = self.targets
            self.targets = []
            tokens.removeAll(keepingCapacity: true)
            targets.removeAll(keepingCapacity: true)
            body(&tokens, &targets)
            precondition(
                tokens.count == targets.count && tokens.count % batchSize == 0,
                "\(tokens.count) inputs and \(targets.count) targets are not [T*B] for B = \(batchSize)")
            input = .tokens(tokens)
            self.targets = targets
            self.batchSize = batchSize
            initialState = nil
            lengths = nil
        }

        public mutating func takeSequences(_ range: Range<Int>, of batch: Batch, stateBlocks: Int) {
            let B = batch.batchSize, T = batch.targets.count / B
            input.takeSequences(range, of: batch.input, batchSize: B)
            TimeMajor.gather(batch.targets, width: 1, steps: T, batchSize: B, sequences: range, into: &targets)
            TimeMajor.gatherState(batch.initialState, blocks: stateBlocks, batchSize: B, sequences: range, into: &initialState)
            TimeMajor.gatherLengths(batch.lengths, sequences: range, into: &lengths)
            batchSize = range.count
            firstSequence = batch.firstSequence + range.lowerBound
        }
    }

    public convenience init(_ configuration: Configuration, using rng: inout SeededRandom) {
        self.init(configuration, initialization: .pytorchDefault, using: &rng)
    }

    /// The model of `configuration`, its recurrent weights initialized by `initialization`.
    public init(_ configuration: Configuration, initialization: RecurrentInitialization, using rng: inout SeededRandom) {
        self.configuration = configuration
        layers = configuration.make(parameters: parameters)
        (embedding, rnn, fc) = (layers.embedding, layers.rnn, layers.fc)
        layers.initialize(initialization, using: &rng)
    }

    public convenience init(
        inputSize: Int, hiddenSize: Int, outputSize: Int, numLayers: Int = 1,
        cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh,
        initialization: RecurrentInitialization = .pytorchDefault, using rng: inout SeededRandom
    ) {
        self.init(
            Configuration(
                inputSize: inputSize, outputSize: outputSize,
                recurrent: RecurrentConfiguration(
                    cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
                    nonlinearity: cell == .rnn ? nonlinearity : .tanh)),
            initialization: initialization, using: &rng)
    }

    public var stateBlocks: Int { rnn.cell.stateParts * rnn.numLayers * rnn.directions }
    /// False for a bidirectional stack: its reverse direction would start the next batch
    /// from the past (each batch starts from zeros, or its own `initialState`).
    public var carriesState: Bool { !rnn.isBidirectional }
    public var stateWidth: Int { rnn.hiddenSize }
    public func finalState(into out: inout [Float]) { rnn.finalState(into: &out) }

    /// Number of output classes.
    public var outputSize: Int { fc.outputSize }

    private func runForward(_ input: SequenceInput, batchSize: Int, initialState: [Float]?, lengths: [Int]? = nil) -> Int {
        layers.forward(input, batchSize: batchSize, initialState: initialState, noise: nil, lengths: lengths)
        return computeLogits(batchSize: batchSize).rows
    }

    /// The output layer over the stack's last outputs (after dropout in training), into
    /// `logitBuffer`; returns `T*B`, the output layer's input and what its products read
    /// for it (`StackWithOutput.outputLayerOperand`), for the backward's `dW`.
    private func computeLogits(batchSize: Int) -> (rows: Int, input: UnsafePointer<Float>, operand: PrecisionGEMM.Operand) {
        let rows = rnn.steps * batchSize
        logitBuffer.resize(rows * fc.outputSize)
        let x = rnn.withOutputs { h in layers.outputLayerInput(h.baseAddress!, steps: rnn.steps, batchSize: batchSize) }
        let operand = layers.outputLayerOperand
        fc.forward(x, rows: rows, reading: operand, into: logitBuffer.pointer)
        return (rows, x, operand)
    }

    /// The logits `[T*B, outputSize]` for `input`, from `initialState` (zeros when nil);
    /// `lengths` as `Batch.lengths`.
    public func forward(_ input: SequenceInput, batchSize: Int, initialState: [Float]? = nil, lengths: [Int]? = nil) -> Matrix {
        let rows = runForward(input, batchSize: batchSize, initialState: initialState, lengths: lengths)
        return Matrix(rows: rows, cols: fc.outputSize, storage: logitBuffer.array)
    }

    /// Zeroes the gradients, runs forward (with the dropout of training step
    /// `trainingStep`, which it then advances), the fused softmax cross-entropy against
    /// `batch.targets` and the backward pass; returns the mean loss. Afterwards
    /// `parameters.gradients` holds d(loss)/d(parameters) and `finalState(into:)` the state
    /// to carry into the next chunk (truncated BPTT).
    /// - Complexity: as the type; allocates only when `(B, T)` grows.
    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        let noise = layers.trainingNoise(step: trainingStep, firstSequence: batch.firstSequence)
        trainingStep += 1
        layers.forward(
            batch.input, batchSize: batch.batchSize, initialState: batch.initialState, noise: noise,
            lengths: batch.lengths)
        let loss = profiler.measure(.outputAndLoss) {
            let (rows, fcInput, fcOperand) = computeLogits(batchSize: batch.batchSize)
            let classes = fc.outputSize
            let logits = logitBuffer.pointer
            let loss = batch.targets.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.compute(
                    logits: logits, rows: rows, classes: classes,
                    targets: t.baseAddress!, gradient: logits
                ).loss
            }
            rnn.withOutputGradient { dh in
                fc.backward(logits, input: fcInput, reading: fcOperand, rows: rows, inputGradient: dh.baseAddress!)
                layers.outputLayerInputBackward(dh.baseAddress!, rows: rows)
            }
            return loss
        }
        rnn.backward()
        layers.backwardInput()
        return loss
    }

    /// `computeGradients` of the batch of these arguments (see `Batch`).
    @discardableResult
    public func computeGradients(
        _ input: SequenceInput, targets: [Int32], batchSize: Int,
        initialState: [Float]? = nil
    ) -> Double {
        computeGradients(Batch(input: input, targets: targets, batchSize: batchSize, initialState: initialState))
    }

    /// Mean cross-entropy of `batch.targets` without touching gradients.
    public func loss(_ batch: Batch) -> Double {
        let rows = runForward(batch.input, batchSize: batch.batchSize, initialState: batch.initialState, lengths: batch.lengths)
        return batch.targets.withUnsafeBufferPointer { t in
            SoftmaxCrossEntropy.compute(
                logits: logitBuffer.pointer, rows: rows, classes: fc.outputSize,
                targets: t.baseAddress!, gradient: nil
            ).loss
        }
    }

    /// `loss` of the batch of these arguments.
    public func loss(_ input: SequenceInput, targets: [Int32], batchSize: Int, initialState: [Float]? = nil) -> Double {
        loss(Batch(input: input, targets: targets, batchSize: batchSize, initialState: initialState))
    }

    /// The inference pass of `Sampler`: `tokens` `[T*B]` (time-major) from the state at
    /// `state` (`rnn.stateSize(batchSize: B)` values), which afterwards holds the state
    /// after the last step; returns the logits of the last step `[B, outputSize]`, valid
    /// until the model runs again. No dropout; the prepared weights are reused while the
    /// parameters do not change; nothing is allocated once the buffers have grown to `(T, B)`.
    func infer(_ tokens: [Int32], batchSize B: Int, state: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        layers.forward(.tokens(tokens), batchSize: B, state: UnsafePointer(state), noise: nil)
        rnn.writeFinalState(into: state)
        let H = rnn.hiddenSize, last = (rnn.steps - 1) * B * H
        logitBuffer.resize(B * fc.outputSize)
        rnn.withOutputs { h in fc.forward(h.baseAddress! + last, rows: B, into: logitBuffer.pointer) }
        return UnsafePointer(logitBuffer.pointer)
    }

    /// Greedy completion of token sequence `prefix`: feeds the prefix, then appends the
    /// most likely next token `count` times. Each new token costs one step; the prefix
    /// is not recomputed.
    public func greedyContinuation(of prefix: [Int32], count: Int) -> [Int32] {
        let sampler = Sampler(model: self)
        sampler.prime(prefix)
        var rng = SeededRandom(seed: 0)
        return (0..<count).map { _ in sampler.next(temperature: 0, using: &rng) }
    }
}
