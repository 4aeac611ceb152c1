import Linalg

/// Autoregressive forecasting: an encoder stack reads a window of `T` past steps
/// (`inputSize` values each; its first `targetCount` columns are the targets' past), and a
/// decoder stack, started from the encoder's final state, forecasts one step at a time,
/// reading the targets' previous values — the actual ones in training (teacher forcing),
/// its own forecasts at prediction (the point forecast fed back). Parameters `encoder.*`,
/// `decoder.*` (input: the `targetCount` previous values) and `fc.*` (to `targetCount ·
/// quantiles` per step), as PyTorch's `nn.LSTM` (or `nn.GRU`, `nn.RNN`) and `nn.Linear`.
///
/// Batches, targets and predictions are `ForecastModel`'s (`[B, horizon, targetCount]`,
/// outputs `[B, horizon, targetCount, quantiles]`), so the two forecasters are interchangeable
/// to a caller. Both stacks run forward only (the decoder reads what it has just forecast).
///
/// ```swift
/// var rng = SeededRandom(seed: 0)
/// let model = AutoregressiveForecastModel(
///     .init(inputSize: 1, horizon: 24, recurrent: .init(cell: .gru, hiddenSize: 64)), using: &rng)
/// let loss = model.computeGradients(batch)            // teacher-forced
/// let forecast = model.predict(x, batchSize: 32)      // fed back, [32, 24]
/// ```
/// - Complexity: the encoder's `O(T·B·H·(I + H·L))` and the decoder's `O(horizon·B·H·(K + H·L))`
///   per forward and per backward; prediction runs the decoder one step at a time.
public final class AutoregressiveForecastModel: SequenceModel {
    public let parameters = ParameterStore()
    public let encoder: RecurrentStack
    public let decoder: RecurrentStack
    public let fc: Linear
    public let configuration: Configuration
    /// The training step whose dropout masks the next `computeGradients` draws (`Trainer`
    /// sets it; each `computeGradients` advances it).
    public var trainingStep = 0
    /// `[horizon·B, K]`: the decoder's inputs of the last teacher-forced run.
    private let decoderInputs = FloatBuffer()
    /// `[horizon·B, K·Q]`: its outputs, then their gradient.
    private let outputs = FloatBuffer()
    /// `[horizon·B, K]`: the targets, time-major.
    private let timeMajorTargets = FloatBuffer()
    private var encodedState: [Float] = []

    public var profiler: PhaseProfiler? {
        didSet { encoder.profiler = profiler; decoder.profiler = profiler }
    }

    /// The sizes, the loss and both stacks' configuration (`Codable`: one JSON object in a
    /// checkpoint).
    public struct Configuration: ModelConfiguration {
        public static let architecture = "autoregressive_forecaster"
        public static let carriesState = false
        public var inputSize: Int
        public var horizon: Int
        public var targetCount: Int
        public var loss: ForecastLoss
        /// Both stacks' cell, sizes and layers; one-directional.
        public var recurrent: RecurrentConfiguration
        /// Dropout between the layers of each stack in training (`nn.LSTM(dropout:)`); 0: none.
        public var dropout: Float
        /// The seed of the dropout masks (the decoder's are drawn from `dropoutSeed + 1`).
        public var dropoutSeed: UInt64

        public init(
            inputSize: Int, horizon: Int, targetCount: Int = 1, loss: ForecastLoss = .squaredError,
            recurrent: RecurrentConfiguration, dropout: Float = 0, dropoutSeed: UInt64 = 0
        ) {
            precondition(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got \(dropout)")
            precondition(loss.problem == nil, loss.problem ?? "")
            precondition(!recurrent.bidirectional, Self.bidirectionalProblem)
            precondition(targetCount <= inputSize, "the window's first \(targetCount) columns must be the targets")
            self.inputSize = inputSize
            self.horizon = horizon
            self.targetCount = targetCount
            self.loss = loss
            self.recurrent = recurrent
            self.dropout = dropout
            self.dropoutSeed = dropoutSeed
        }

        package static let bidirectionalProblem =
            "an autoregressive decoder reads the forecast it has just made, so it runs forward only (a bidirectional window is ForecastModel's)"

        /// `horizon · targetCount`.
        public var valueCount: Int { horizon * targetCount }
        /// `valueCount · loss.outputsPerValue`: the values `predict` returns per window.
        public var outputSize: Int { valueCount * loss.outputsPerValue }
        /// Per decoder step: `targetCount · quantiles`.
        public var stepOutputSize: Int { targetCount * loss.outputsPerValue }

        public var problem: String? {
            if let problem = recurrent.problem ?? RecurrentConfiguration.sizeProblem("input size", inputSize)
                ?? RecurrentConfiguration.sizeProblem("horizon", horizon)
                ?? RecurrentConfiguration.sizeProblem("target count", targetCount) ?? loss.problem
            {
                return problem
            }
            if recurrent.bidirectional { return Self.bidirectionalProblem }
            if targetCount > inputSize { return "\(targetCount) targets in a window of \(inputSize) columns" }
            if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is outside [0, 1)" }
            return nil
        }

        public var parameterShapes: [ParameterShape] {
            recurrent.parameterShapes(inputSize: inputSize, prefix: "encoder.")
                + recurrent.parameterShapes(inputSize: targetCount, prefix: "decoder.")
                + Linear.parameterShapes(inputSize: recurrent.hiddenSize, outputSize: stepOutputSize, prefix: "fc.")
        }

        public var summary: String {
            "\(recurrent.summary), input_size \(inputSize), horizon \(horizon), targets \(targetCount), loss \(loss), autoregressive"
        }

        /// Both stacks' FLOPs (dense input) over `steps` window rows and `horizon` decoder
        /// rows, and the output layer's 6·H·O per decoder row.
        public func trainingFlops(batchSize: Int, steps: Int) -> Double {
            let encoder = recurrent.trainingFlopsPerToken(tokenInput: false, inputSize: inputSize) * Double(batchSize * steps)
            let decoder = recurrent.trainingFlopsPerToken(tokenInput: false, inputSize: targetCount) * Double(batchSize * horizon)
            return encoder + decoder + 6 * Double(recurrent.hiddenSize * stepOutputSize * batchSize * horizon)
        }
    }

    public typealias Batch = ForecastModel.Batch

    public init(_ configuration: Configuration, using rng: inout SeededRandom) {
        self.configuration = configuration
        let r = configuration.recurrent
        encoder = r.makeStack(inputSize: configuration.inputSize, parameters: parameters, prefix: "encoder.")
        decoder = r.makeStack(inputSize: configuration.targetCount, parameters: parameters, prefix: "decoder.")
        fc = Linear(inputSize: r.hiddenSize, outputSize: configuration.stepOutputSize, parameters: parameters, prefix: "fc.")
        encoder.initialize(using: &rng)
        decoder.initialize(using: &rng)
        fc.initialize(using: &rng)
    }

    /// Runs the encoder over the window `input` `[T·B, I]` (with dropout `noise` in training);
    /// its final state is in `encodedState`.
    private func encode(_ input: SequenceInput, batchSize B: Int, noise: DropoutNoise? = nil) {
        encoder.forward(input, batchSize: B, dropout: noise)
        encoder.finalState(into: &encodedState)
    }

    /// The targets' last observed values `[B, K]` of the window: its last row's first K columns.
    private func lastObserved(_ input: SequenceInput, batchSize B: Int, into out: UnsafeMutablePointer<Float>) {
        guard case .dense(let x) = input else { preconditionFailure("a forecaster reads rows of values, not tokens") }
        let K = configuration.targetCount, I = x.cols, last = x.rows - B
        x.storage.withUnsafeBufferPointer { v in
            for b in 0..<B { (out + b * K).update(from: v.baseAddress! + (last + b) * I, count: K) }
        }
    }

    /// The teacher-forced run: decoder inputs (the last observed values, then the targets
    /// of steps `0..<horizon − 1`), the stack from the encoder's state, the output layer,
    /// the loss; with `backward`, every gradient back into the encoder.
    private func run(_ batch: Batch, backward: Bool) -> Double {
        let B = batch.batchSize, K = configuration.targetCount, Hz = configuration.horizon, Q = configuration.loss.outputsPerValue
        let c = configuration, training = backward && c.dropout > 0
        let encoderNoise =
            training ? DropoutNoise(rate: c.dropout, seed: c.dropoutSeed, step: trainingStep, firstSequence: batch.firstSequence) : nil
        let decoderNoise =
            training ? DropoutNoise(rate: c.dropout, seed: c.dropoutSeed &+ 1, step: trainingStep, firstSequence: batch.firstSequence) : nil
        if backward { trainingStep += 1 }
        encode(batch.input, batchSize: B, noise: encoderNoise)
        decoderInputs.resize(Hz * B * K)
        timeMajorTargets.resize(Hz * B * K)
        lastObserved(batch.input, batchSize: B, into: decoderInputs.pointer)
        batch.targets.withUnsafeBufferPointer { t in
            for h in 0..<Hz {
                for b in 0..<B {
                    let value = t.baseAddress! + (b * Hz + h) * K
                    (timeMajorTargets.pointer + (h * B + b) * K).update(from: value, count: K)
                    if h + 1 < Hz { (decoderInputs.pointer + ((h + 1) * B + b) * K).update(from: value, count: K) }
                }
            }
        }
        let rows = Hz * B
        let x = Matrix(rows: rows, cols: K, storage: Array(UnsafeBufferPointer(start: decoderInputs.pointer, count: rows * K)))
        decoder.forward(.dense(x), batchSize: B, initialState: encodedState, dropout: decoderNoise)
        outputs.resize(rows * K * Q)
        decoder.withOutputs { h in fc.forward(h.baseAddress!, rows: rows, into: outputs.pointer) }
        let loss = configuration.loss.compute(
            outputs: outputs.pointer, targets: timeMajorTargets.pointer, count: rows * K, gradient: backward ? outputs.pointer : nil)
        guard backward else { return loss }
        decoder.withOutputs { h in
            decoder.withOutputGradient { dh in
                fc.backward(outputs.pointer, input: h.baseAddress!, rows: rows, inputGradient: dh.baseAddress!)
            }
        }
        decoder.backward()
        encoder.backward(finalStateGradient: decoder.initialStateGradient)
        return loss
    }

    @discardableResult
    public func computeGradients(_ batch: Batch) -> Double {
        parameters.zeroGradients()
        return run(batch, backward: true)
    }

    /// The teacher-forced mean loss, gradients untouched.
    public func loss(_ batch: Batch) -> Double { run(batch, backward: false) }

    /// The forecasts `[B, horizon · targetCount · quantiles]` of windows `input` (`[T·B, I]`),
    /// each step's point forecast (the 0.5 quantile, or the middle one) fed back.
    public func predict(_ input: SequenceInput, batchSize B: Int) -> Matrix {
        let K = configuration.targetCount, Hz = configuration.horizon, Q = configuration.loss.outputsPerValue
        let point = configuration.loss.quantiles.firstIndex(of: 0.5) ?? (Q / 2)
        encode(input, batchSize: B)
        var state = encodedState
        var step = [Float](repeating: 0, count: B * K)
        step.withUnsafeMutableBufferPointer { lastObserved(input, batchSize: B, into: $0.baseAddress!) }
        var result = [Float](repeating: 0, count: B * Hz * K * Q)
        var stepOutputs = [Float](repeating: 0, count: B * K * Q)
        for h in 0..<Hz {
            decoder.forward(.dense(Matrix(rows: B, cols: K, storage: step)), batchSize: B, initialState: state)
            decoder.finalState(into: &state)
            decoder.withOutputs { o in
                stepOutputs.withUnsafeMutableBufferPointer { fc.forward(o.baseAddress!, rows: B, into: $0.baseAddress!) }
            }
            for b in 0..<B {
                for k in 0..<K {
                    for q in 0..<Q { result[((b * Hz + h) * K + k) * Q + q] = stepOutputs[(b * K + k) * Q + q] }
                    step[b * K + k] = stepOutputs[(b * K + k) * Q + point]
                }
            }
        }
        return Matrix(rows: B, cols: Hz * K * Q, storage: result)
    }

    /// Throws unless `batch` fits (as `ForecastModel.check`).
    public func check(_ batch: Batch) throws(BatchError) {
        try ForecastModel.checkWindows(batch, inputSize: configuration.inputSize, valueCount: configuration.valueCount)
    }

    public var precision: Precision { decoder.precision }
    public func setPrecision(_ precision: Precision) throws(PrecisionError) {
        try Precision.apply(precision, stacks: [encoder, decoder], layers: [fc])
    }
}
