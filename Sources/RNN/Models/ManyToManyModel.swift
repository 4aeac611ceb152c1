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
public final class ManyToManyModel {
    public let parameters = ParameterStore()
    public let rnn: RecurrentStack
    public let fc: Linear
    let logitBuffer = FloatBuffer()

    /// When set, training steps time their phases into it (also attached to `rnn`).
    public var profiler: PhaseProfiler? {
        didSet { rnn.profiler = profiler }
    }

    public init(inputSize: Int, hiddenSize: Int, outputSize: Int, numLayers: Int = 1,
                cell: RecurrentCell = .rnn, nonlinearity: Nonlinearity = .tanh,
                initialization: RecurrentInitialization = .pytorchDefault, using rng: inout SeededRandom) {
        rnn = RecurrentStack.make(cell, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                                  nonlinearity: nonlinearity, parameters: parameters, prefix: "rnn.")
        fc = Linear(inputSize: hiddenSize, outputSize: outputSize, parameters: parameters, prefix: "fc.")
        rnn.initialize(initialization, using: &rng)
        fc.initialize(using: &rng)
    }

    /// Number of output classes.
    public var outputSize: Int { fc.outputSize }

    private func runForward(_ input: SequenceInput, batchSize: Int, initialState: [Float]?) -> Int {
        rnn.forward(input, batchSize: batchSize, initialState: initialState)
        return computeLogits(batchSize: batchSize)
    }

    /// The output layer over the stack's last outputs, into `logitBuffer`; returns `T*B`.
    private func computeLogits(batchSize: Int) -> Int {
        let rows = rnn.steps * batchSize
        logitBuffer.resize(rows * fc.outputSize)
        rnn.withOutputs { h in fc.forward(h.baseAddress!, rows: rows, into: logitBuffer.pointer) }
        return rows
    }

    /// The logits `[T*B, outputSize]` for `input`, from `initialState` (zeros when nil).
    public func forward(_ input: SequenceInput, batchSize: Int, initialState: [Float]? = nil) -> Matrix {
        let rows = runForward(input, batchSize: batchSize, initialState: initialState)
        return Matrix(rows: rows, cols: fc.outputSize, storage: logitBuffer.array)
    }

    /// Zeroes the gradients, runs forward, the fused softmax cross-entropy against
    /// `targets` (`[T*B]`, `-1` = not counted) and the backward pass; returns the mean loss.
    /// Afterwards `parameters.gradients` holds d(loss)/d(parameters) and
    /// `rnn.finalState()` the state to carry into the next chunk (truncated BPTT).
    /// - Complexity: as the type; allocates only when `(B, T)` grows.
    @discardableResult
    public func computeGradients(_ input: SequenceInput, targets: [Int32], batchSize: Int,
                                 initialState: [Float]? = nil) -> Double {
        parameters.zeroGradients()
        rnn.forward(input, batchSize: batchSize, initialState: initialState)
        precondition(targets.count == rnn.steps * batchSize,
                     "\(targets.count) targets for \(rnn.steps * batchSize) rows (T*B)")
        let loss = profiler.measure(.outputAndLoss) {
            let rows = computeLogits(batchSize: batchSize)
            let classes = fc.outputSize
            let logits = logitBuffer.pointer
            let loss = targets.withUnsafeBufferPointer { t in
                SoftmaxCrossEntropy.compute(logits: logits, rows: rows, classes: classes,
                                            targets: t.baseAddress!, gradient: logits).loss
            }
            rnn.withOutputs { h in
                rnn.withOutputGradient { dh in
                    fc.backward(logits, input: h.baseAddress!, rows: rows, inputGradient: dh.baseAddress!)
                }
            }
            return loss
        }
        rnn.backward()
        return loss
    }

    /// Mean cross-entropy of `targets` without touching gradients.
    public func loss(_ input: SequenceInput, targets: [Int32], batchSize: Int, initialState: [Float]? = nil) -> Double {
        let rows = runForward(input, batchSize: batchSize, initialState: initialState)
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows (T*B)")
        return targets.withUnsafeBufferPointer { t in
            SoftmaxCrossEntropy.compute(logits: logitBuffer.pointer, rows: rows, classes: fc.outputSize,
                                        targets: t.baseAddress!, gradient: nil).loss
        }
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
