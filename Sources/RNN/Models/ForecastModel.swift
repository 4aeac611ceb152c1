import Linalg

/// Direct multi-horizon forecasting: a recurrent stack reads a window of `T` past steps
/// (`inputSize` values each: the targets' past and any covariates) and one output layer
/// at the window's last step forecasts all `horizon` future steps of `targetCount` series
/// at once — one value each, or one per quantile with the quantile loss (prediction
/// intervals). Parameters `rnn.*` and `fc.*` as `ManyToOneModel`'s; a bidirectional stack
/// reads the window both ways (`[forward at its last step, reverse at step 0]`).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = ForecastModel(.init(inputSize: 3, horizon: 24, targetCount: 1, loss: .quantiles([0.1, 0.5, 0.9]),
///                                 recurrent: .init(cell: .lstm, hiddenSize: 64)), using: &rng)
/// let batch = ForecastModel.Batch(input: x, targets: y, batchSize: 32)   // x [T*32, 3], y [32, 24]
/// let loss = model.computeGradients(batch)
/// let forecast = model.predict(x, batchSize: 32)                          // [32, 24 * 3]
/// ```
/// Outputs are laid out `[B, horizon, targetCount, quantiles]`; targets `[B, horizon,
/// targetCount]`. - Complexity: `O(T·B·H·(I + H·L) + B·H·O)` per forward and per
/// backward; allocates only when `(B, T)` grow.
public final class ForecastModel: SequenceModel {
    public let parameters = ParameterStore()
    public let rnn: RecurrentStack
    public let fc: Linear
    public let configuration: Configuration
    /// The training step whose dropout masks the next `computeGradients` draws.
    public var trainingStep = 0
    let layers: StackWithOutput
    let lastHidden = FloatBuffer()  // [B, D·H]
    let lastHiddenGradient = FloatBuffer()
    let outputBuffer = FloatBuffer()  // [B, O]

    public var profiler: PhaseProfiler? {
        didSet { rnn.profiler = profiler }
    }

    /// The sizes, the loss and the stack (`Codable`: one JSON object in a checkpoint).
    public struct Configuration: ModelConfiguration {
        public static let architecture = "forecaster"
        /// Each window starts from zeros: nothing is carried between batches.
        public static let carriesState = false
        /// Values per input step (targets' past and covariates).
        public var inputSize: Int
        /// Steps forecast at once.
        public var horizon: Int
        /// Series forecast.
        public var targetCount: Int
        public var loss: ForecastLoss
        public var recurrent: RecurrentConfiguration
        /// Dropout between layers and before the output layer in training (as
        /// `StackWithOutputConfiguration`'s); 0: none.
        public var dropout: Float
        public var dropoutSeed: UInt64

        public init(
            inputSize: Int, horizon: Int, targetCount: Int = 1, loss: ForecastLoss = .squaredError,
            recurrent: RecurrentConfiguration, dropout: Float = 0, dropoutSeed: UInt64 = 0
        ) {
            precondition(loss.problem == nil, loss.problem ?? "")
            precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
            self.inputSize = inputSize
            self.horizon = horizon
            self.targetCount = targetCount
            self.loss = loss
            self.recurrent = recurrent
            self.dropout = dropout
            self.dropoutSeed = dropoutSeed
        }

        /// `horizon · targetCount`: the values forecast per window.
        public var valueCount: Int { horizon * targetCount }
        /// `valueCount · loss.outputsPerValue`: the output layer's size.
        public var outputSize: Int { valueCount * loss.outputsPerValue }

        /// The stack and output layer this model is made of.
        var stack: StackWithOutputConfiguration<LastStep> {
            StackWithOutputConfiguration(
                inputSize: inputSize, outputSize: outputSize, recurrent: recurrent, dropout: dropout, dropoutSeed: dropoutSeed)
        }

        public var problem: String? {
            if let problem = RecurrentConfiguration.sizeProblem("horizon", horizon)
                ?? RecurrentConfiguration.sizeProblem("target count", targetCount) ?? loss.problem
            {
                return problem
            }
            if horizon.multipliedReportingOverflow(by: targetCount * max(loss.outputsPerValue, 1)).overflow {
                return "horizon \(horizon) × \(targetCount) targets overflows"
            }
            return stack.problem
        }

        public var parameterShapes: [ParameterShape] { stack.parameterShapes }

        public var summary: String {
            "\(recurrent.summary), input_size \(inputSize), horizon \(horizon), targets \(targetCount), loss \(loss)"
        }

        public func trainingFlops(batchSize: Int, steps: Int) -> Double { stack.trainingFlops(batchSize: batchSize, steps: steps) }
    }

    /// `B` windows of `T` steps (`[T*B, inputSize]` values, time-major) and their targets
    /// `[B, horizon · targetCount]`.
    public struct Batch: SequenceBatch {
        public var firstSequence = 0
        public var input: SequenceInput
        /// `[B, horizon, targetCount]` flattened.
        public var targets: [Float]
        public var batchSize: Int

        public init() { self.init(input: .dense(Matrix(rows: 0, cols: 0)), targets: [], batchSize: 0) }

        public init(input: SequenceInput, targets: [Float], batchSize: Int) {
            self.input = input
            self.targets = targets
            self.batchSize = batchSize
        }

        /// Every value counts.
        public var countedTargets: Int { targets.count }

        public mutating func takeSequences(_ range: Range<Int>, of batch: Batch, stateBlocks: Int) {
            let B = batch.batchSize, width = batch.targets.count / max(B, 1)
            input.takeSequences(range, of: batch.input, batchSize: B)
            TimeMajor.gather(batch.targets, width: width, steps: 1, batchSize: B, sequences: range, into: &targets)
            batchSize = range.count
            firstSequence = batch.firstSequence + range.lowerBound
        }
    }

    public init(_ configuration: Configuration, using rng: inout SeededRandom) {
        self.configuration = configuration
        layers = configuration.stack.make(parameters: parameters)
        (rnn, fc) = (layers.rnn, layers.fc)
        layers.initialize(.pytorchDefault, using: &rng)
    }

    /// Runs the stack and the output layer; the outputs `[B, O]` are in `outputBuffer`.
    /// Returns the output layer's input `[B, D·H]`.
    @discardableResult
    private func runForward(_ input: SequenceInput, batchSize B: Int, noise: DropoutNoise? = nil) -> UnsafePointer<Float> {
        let W = rnn.outputWidth
        layers.forward(input, batchSize: B, initialState: nil, noise: noise)
        return profiler.measure(.outputAndLoss) {
            lastHidden.resize(B * W)
            rnn.gatherFinalOutputs(lengths: fullLengths(B), into: lastHidden.pointer)
            outputBuffer.resize(B * fc.outputSize)
            let x = layers.outputLayerInput(lastHidden.pointer, steps: 1, batchSize: B)
            fc.forward(x, rows: B, into: outputBuffer.pointer)
            return x
        }
    }

    /// Every window's length: all `T` steps.
    private func fullLengths(_ B: Int) -> [Int] { [Int](repeating: rnn.steps, count: B) }

    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        let noise = layers.trainingNoise(step: trainingStep, firstSequence: batch.firstSequence)
        trainingStep += 1
        let B = batch.batchSize, W = rnn.outputWidth
        let fcInput = runForward(batch.input, batchSize: B, noise: noise)
        let loss = profiler.measure(.outputAndLoss) {
            let outputs = outputBuffer.pointer
            let loss = batch.targets.withUnsafeBufferPointer { t in
                configuration.loss.compute(outputs: outputs, targets: t.baseAddress!, count: t.count, gradient: outputs)
            }
            lastHiddenGradient.resize(B * W)
            fc.backward(outputs, input: fcInput, rows: B, inputGradient: lastHiddenGradient.pointer)
            layers.outputLayerInputBackward(lastHiddenGradient.pointer, rows: B)
            rnn.scatterFinalOutputGradient(lastHiddenGradient.pointer, lengths: fullLengths(B))
            return loss
        }
        rnn.backward()
        return loss
    }

    public func loss(_ batch: Batch) -> Double {
        runForward(batch.input, batchSize: batch.batchSize)
        return batch.targets.withUnsafeBufferPointer { t in
            configuration.loss.compute(outputs: outputBuffer.pointer, targets: t.baseAddress!, count: t.count, gradient: nil)
        }
    }

    /// The forecasts `[B, horizon · targetCount · quantiles]` of windows `input` (`[T*B, I]`).
    public func predict(_ input: SequenceInput, batchSize: Int) -> Matrix {
        runForward(input, batchSize: batchSize)
        return Matrix(rows: batchSize, cols: fc.outputSize, storage: outputBuffer.array)
    }

    /// Throws unless `batch` fits: `[T*B, inputSize]` finite values and
    /// `B · horizon · targetCount` finite targets.
    /// - Complexity: O(T·B·I).
    public func check(_ batch: Batch) throws(BatchError) {
        try Self.checkWindows(batch, inputSize: configuration.inputSize, valueCount: configuration.valueCount)
    }

    /// `check` of a forecaster reading `inputSize` values a step and forecasting
    /// `valueCount` values a window. - Complexity: O(T·B·I).
    static func checkWindows(_ batch: Batch, inputSize: Int, valueCount: Int) throws(BatchError) {
        let B = batch.batchSize
        let T = try BatchCheck.steps(rows: batch.input.rowCount, batchSize: B, what: "input rows")
        if case .tokens = batch.input {
            throw .layout("a forecasting model reads rows of \(inputSize) values, not tokens")
        }
        try BatchCheck.input(batch.input, steps: T, batchSize: B, size: inputSize, lengths: nil)
        guard batch.targets.count == B * valueCount else {
            throw .countMismatch(what: "targets", count: batch.targets.count, expected: B * valueCount)
        }
        if let i = batch.targets.firstIndex(where: { !$0.isFinite }) {
            throw .layout("target \(i % valueCount) of window \(i / valueCount) is NaN or infinite; every target must be a finite value")
        }
    }
}

extension ForecastModel {
    public var precision: Precision { rnn.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [rnn], layers: [fc])
    }
}
