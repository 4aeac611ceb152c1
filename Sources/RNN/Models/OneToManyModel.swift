import Linalg

/// One-to-many: a fixed-size input vector sets the initial state through a `Linear`
/// (`init.weight` [S, F], `S` the state size per sequence: `L*H`, or `2*L*H` for an LSTM's `(h, c)`), and a token RNN generates a sequence from it (image
/// captioning, sequence generation from a code). Trained with teacher forcing: step
/// `t` reads the target of step `t - 1` (a start token at step 0).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// // 4 features -> sequences over 11 tokens; token 10 starts every sequence.
/// let model = OneToManyModel(featureSize: 4, vocabularySize: 11, hiddenSize: 32, startToken: 10, using: &rng)
/// let batch = OneToManyModel.Batch(features: x, targets: y)   // x [B, 4], y [T*B]
/// let loss = model.computeGradients(batch)
/// let sequences = model.generate(features: x, length: 5)      // greedy, [B][5]
/// ```
/// - Complexity: `O(B·F·L·H + T·B·H·(V + H·L))` per forward and per backward; allocates
///   only when `(B, T)` grow.
public final class OneToManyModel: SequenceModel {
    public let parameters = ParameterStore()
    public let initial: Linear
    public let rnn: RecurrentStack
    public let fc: Linear
    public let startToken: Int32
    let decoder: TeacherForcedDecoder
    /// `[B, S]` the initial-state layer's output and, after backward, its gradient.
    let initialRows = FloatBuffer()
    /// The initial state `[parts, L, B, H]` of the last forward.
    var initialStateValues: [Float] = []

    public var profiler: PhaseProfiler? {
        didSet { rnn.profiler = profiler; decoder.profiler = profiler }
    }

    /// `featureSize` inputs, `vocabularySize` tokens (the start token one of them), the stack.
    /// `Codable`: a checkpoint stores it as one JSON object.
    public struct Configuration: ModelConfiguration {
        /// The initial state is computed (from the features / by the encoder), not carried.
        public static let carriesState = false
        public static let architecture = "one_to_many"
        public var featureSize: Int
        public var vocabularySize: Int
        public var startToken: Int32
        public var recurrent: RecurrentConfiguration

        public init(featureSize: Int, vocabularySize: Int, startToken: Int32, recurrent: RecurrentConfiguration) {
            precondition(startToken >= 0 && Int(startToken) < vocabularySize, "startToken must be a token of the vocabulary")
            precondition(!recurrent.bidirectional, Self.bidirectionalProblem)
            self.featureSize = featureSize
            self.vocabularySize = vocabularySize
            self.startToken = startToken
            self.recurrent = recurrent
        }

        public var problem: String? {
            if let problem = recurrent.problem ?? RecurrentConfiguration.sizeProblem("feature size", featureSize)
                ?? RecurrentConfiguration.sizeProblem("vocabulary size", vocabularySize)
            {
                return problem
            }
            if recurrent.bidirectional { return Self.bidirectionalProblem }
            return startToken >= 0 && Int(startToken) < vocabularySize
                ? nil
                : "the start token \(startToken) is not a token of the vocabulary of \(vocabularySize)"
        }

        /// Why a generator cannot be bidirectional.
        package static let bidirectionalProblem = "a generator reads each token it has just generated, so it runs forward only"

        /// `init.weight` [S, F], `init.bias` [S], `rnn.*`, `fc.weight` [V, H], `fc.bias` [V].
        public var parameterShapes: [ParameterShape] {
            Linear.parameterShapes(inputSize: featureSize, outputSize: recurrent.stateBlocks * recurrent.hiddenSize, prefix: "init.")
                + recurrent.parameterShapes(inputSize: vocabularySize, prefix: "rnn.")
                + Linear.parameterShapes(inputSize: recurrent.hiddenSize, outputSize: vocabularySize, prefix: "fc.")
        }

        public var summary: String {
            "\(recurrent.summary), feature_size \(featureSize), vocabulary_size \(vocabularySize)"
        }

        /// Per token: the stack's FLOPs (token input) and the output layer's 6HV; per
        /// sequence the initial-state layer's forward and `dW` (4FS).
        public func trainingFlops(batchSize: Int, steps: Int) -> Double {
            let perToken =
                recurrent.trainingFlopsPerToken(tokenInput: true, inputSize: vocabularySize)
                + 6 * Double(recurrent.hiddenSize * vocabularySize)
            return perToken * Double(batchSize * steps)
                + 4 * Double(featureSize * recurrent.stateBlocks * recurrent.hiddenSize * batchSize)
        }
    }

    /// `B` feature vectors and the sequences to generate from them.
    public struct Batch: SequenceBatch {
        /// `[B, F]`, one row per sequence.
        public var features: Matrix
        /// `[T*B]` tokens, time-major, `-1` = padding after a sequence's end.
        public var targets: [Int32]

        public init() {
            features = Matrix(rows: 0, cols: 0)
            targets = []
        }

        public init(features: Matrix, targets: [Int32]) {
            precondition(
                features.rows > 0 && !targets.isEmpty && targets.count % features.rows == 0,
                "targets must be [T*B] for B = \(features.rows), got \(targets.count)")
            self.features = features
            self.targets = targets
        }

        public var batchSize: Int { features.rows }
        public var countedTargets: Int { SoftmaxCrossEntropy.countedTargets(targets) }

        public mutating func takeSequences(_ range: Range<Int>, of batch: Batch, stateBlocks: Int) {
            let B = batch.batchSize, F = batch.features.cols
            if features.rows != range.count || features.cols != F { features = Matrix(rows: range.count, cols: F) }
            TimeMajor.gather(batch.features.storage, width: F, steps: 1, batchSize: B, sequences: range, into: &features.storage)
            TimeMajor.gather(
                batch.targets, width: 1, steps: batch.targets.count / B, batchSize: B, sequences: range,
                into: &targets)
        }
    }

    public var configuration: Configuration {
        Configuration(
            featureSize: initial.inputSize, vocabularySize: fc.outputSize, startToken: startToken,
            recurrent: rnn.configuration)
    }

    public init(_ configuration: Configuration, using rng: inout SeededRandom) {
        let c = configuration, r = c.recurrent
        initial = Linear(inputSize: c.featureSize, outputSize: r.stateBlocks * r.hiddenSize, parameters: parameters, prefix: "init.")
        rnn = r.makeStack(inputSize: c.vocabularySize, parameters: parameters, prefix: "rnn.")
        fc = Linear(inputSize: r.hiddenSize, outputSize: c.vocabularySize, parameters: parameters, prefix: "fc.")
        startToken = c.startToken
        decoder = TeacherForcedDecoder(rnn: rnn, fc: fc, startToken: startToken)
        initial.initialize(using: &rng)
        rnn.initialize(using: &rng)
        fc.initialize(using: &rng)
    }

    public convenience init(
        featureSize: Int, vocabularySize: Int, hiddenSize: Int, numLayers: Int = 1,
        cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh, startToken: Int32,
        using rng: inout SeededRandom
    ) {
        self.init(
            Configuration(
                featureSize: featureSize, vocabularySize: vocabularySize, startToken: startToken,
                recurrent: RecurrentConfiguration(
                    cell: cell, hiddenSize: hiddenSize, numLayers: numLayers,
                    nonlinearity: cell == .rnn ? nonlinearity : .tanh)),
            using: &rng)
    }

    /// Number of `[B, H]` blocks in the state: `parts * numLayers`.
    var blocks: Int { rnn.cell.stateParts * rnn.numLayers }

    /// `initialStateValues` `[parts, L, B, H]` from `features` `[B, F]` (row `b` of the
    /// layer's output is `[block 0 | block 1 | ...]`).
    private func prepareInitialState(_ features: Matrix) {
        precondition(
            features.cols == initial.inputSize, "features are [\(features.rows), \(features.cols)], expected [B, \(initial.inputSize)]")
        let B = features.rows, H = rnn.hiddenSize, L = blocks
        initialRows.resize(B * L * H)
        features.storage.withUnsafeBufferPointer { initial.forward($0.baseAddress!, rows: B, into: initialRows.pointer) }
        if initialStateValues.count != B * L * H { initialStateValues = [Float](repeating: 0, count: B * L * H) }
        initialStateValues.withUnsafeMutableBufferPointer { out in
            for b in 0..<B {
                for l in 0..<L { (out.baseAddress! + (l * B + b) * H).update(from: initialRows.pointer + (b * L + l) * H, count: H) }
            }
        }
    }

    /// The initial state `[parts, L, B, H]` for `features` `[B, F]`.
    public func initialState(features: Matrix) -> [Float] {
        prepareInitialState(features)
        return initialStateValues
    }

    /// Zeroes gradients; forward with teacher forcing, cross-entropy over the counted
    /// targets, backward through the RNN into the initial-state `Linear`. Returns the loss.
    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        prepareInitialState(batch.features)
        let loss = decoder.run(targets: batch.targets, batchSize: batch.batchSize, initialState: initialStateValues, backward: true)
        let B = batch.batchSize, H = rnn.hiddenSize, L = blocks
        rnn.withInitialStateGradient { g in
            for b in 0..<B {
                for l in 0..<L { (initialRows.pointer + (b * L + l) * H).update(from: g.baseAddress! + (l * B + b) * H, count: H) }
            }
        }
        batch.features.storage.withUnsafeBufferPointer { x in
            initial.backward(initialRows.pointer, input: x.baseAddress!, rows: B, inputGradient: nil)
        }
        return loss
    }

    /// `computeGradients` of `Batch(features:targets:)`.
    @discardableResult
    public func computeGradients(features: Matrix, targets: [Int32]) -> Double {
        computeGradients(Batch(features: features, targets: targets))
    }

    /// The mean cross-entropy under teacher forcing, gradients untouched.
    public func loss(_ batch: Batch) -> Double {
        prepareInitialState(batch.features)
        return decoder.run(targets: batch.targets, batchSize: batch.batchSize, initialState: initialStateValues, backward: false)
    }

    /// Greedy generation of `length` tokens for each row of `features` (stopping a
    /// sequence early at `stop` when given).
    public func generate(features: Matrix, length: Int, stop: Int32? = nil) -> [[Int32]] {
        GreedyDecoder.decode(
            rnn: rnn, fc: fc, initialState: initialState(features: features),
            batchSize: features.rows, start: startToken, length: length, stop: stop)
    }
}
