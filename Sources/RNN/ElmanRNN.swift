import Linalg

/// A stack of vanilla (Elman) RNN layers with PyTorch's equations, shapes and names:
/// `h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` per layer, the outputs of
/// layer `k` being the inputs of layer `k + 1`.
///
/// Parameters (registered in a `ParameterStore` under `prefix`), for each layer `k`:
/// `weight_ih_l{k}` [H, I_k] (`I_0 = inputSize`, else `H`), `weight_hh_l{k}` [H, H],
/// `bias_ih_l{k}` [H], `bias_hh_l{k}` [H] (biases only when `bias` is true).
///
/// Batches are **time-major and stacked**: step `t` of sequence `b` is row `t*B + b`.
/// ```swift
/// let store = ParameterStore()
/// let rnn = ElmanRNN(inputSize: 5, hiddenSize: 8, numLayers: 2, parameters: store)
/// var rng = SeededRandom(seed: 1)
/// rnn.initialize(.pytorchDefault, using: &rng)
/// rnn.forward(.tokens([0, 3, 1, 4]), batchSize: 2)   // T = 2, B = 2
/// let h = rnn.outputs          // [T*B, H] = [4, 8]
/// let hT = rnn.finalState()    // [numLayers*B, H]
/// ```
/// The layer keeps the activations of its last `forward` for `backward`
/// (backpropagation through time), like a module that caches for autograd.
///
/// - Complexity: forward and backward are `O(T·B·H·(I + H))` per layer, spent in
///   one input GEMM (a row gather for tokens), `T` small `[B,H]x[H,H]` GEMMs, and
///   (backward) weight-gradient GEMMs with `K = T*B`.
public final class ElmanRNN {
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let nonlinearity: Nonlinearity
    public let hasBias: Bool
    /// The store that holds this stack's parameters and gradients.
    public let parameters: ParameterStore
    /// The name prefix of the parameters (`"rnn."` for the character model).
    public let prefix: String

    let weightIH: [TensorSlot]
    let weightHH: [TensorSlot]
    let biasIH: [TensorSlot]
    let biasHH: [TensorSlot]

    /// Batch size and number of steps of the last `forward`.
    public private(set) var batchSize = 0
    public private(set) var steps = 0

    /// Per layer: `[(T+1)*B, H]`, the initial state block first, then `h_0 ... h_{T-1}`
    /// (stored this way so that "previous states" is one contiguous `[T*B, H]` matrix).
    var states: [FloatBuffer]
    /// Per layer: d(loss)/d(outputs) `[T*B, H]`, turned into d(pre-activation) by `backward`.
    var outputGradients: [FloatBuffer]
    var inputIsTokens = true
    var tokens: [Int32] = []
    let denseInput = FloatBuffer()
    let biasRow = FloatBuffer()
    let initialStateGradientBuffer = FloatBuffer()
    let inputGradientBuffer = FloatBuffer()
    /// When set, forward and backward time their phases into it.
    public var profiler: PhaseProfiler?

    /// Creates the stack and registers its (zero) parameters; call `initialize`.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                bias: Bool = true, parameters: ParameterStore, prefix: String = "rnn.") {
        precondition(inputSize > 0 && hiddenSize > 0 && numLayers > 0,
                     "ElmanRNN needs positive sizes, got input \(inputSize), hidden \(hiddenSize), layers \(numLayers)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.nonlinearity = nonlinearity
        self.hasBias = bias
        self.parameters = parameters
        self.prefix = prefix
        var wih: [TensorSlot] = [], whh: [TensorSlot] = [], bih: [TensorSlot] = [], bhh: [TensorSlot] = []
        for k in 0..<numLayers {
            let inSize = k == 0 ? inputSize : hiddenSize
            wih.append(parameters.register("\(prefix)weight_ih_l\(k)", shape: [hiddenSize, inSize]))
            whh.append(parameters.register("\(prefix)weight_hh_l\(k)", shape: [hiddenSize, hiddenSize]))
            if bias {
                bih.append(parameters.register("\(prefix)bias_ih_l\(k)", shape: [hiddenSize]))
                bhh.append(parameters.register("\(prefix)bias_hh_l\(k)", shape: [hiddenSize]))
            }
        }
        (weightIH, weightHH, biasIH, biasHH) = (wih, whh, bih, bhh)
        states = (0..<numLayers).map { _ in FloatBuffer() }
        outputGradients = (0..<numLayers).map { _ in FloatBuffer() }
    }

    /// The input width of layer `k`.
    func layerInputSize(_ k: Int) -> Int { k == 0 ? inputSize : hiddenSize }

    /// Runs all layers over `input` (`[T*B]` tokens or `[T*B, inputSize]` vectors).
    ///
    /// - Parameters:
    ///   - initialState: `[numLayers*B*H]` (layer-major, like PyTorch's `[L, B, H]`),
    ///     zeros when nil. Pass the previous chunk's `finalState()` for truncated BPTT:
    ///     it is used as a constant (no gradient flows into the previous chunk).
    /// Clears the output gradient that `backward` will read.
    /// - Complexity: `O(T·B·H·(I + H·L))`; allocates only when `(B, T)` grows.
    public func forward(_ input: SequenceInput, batchSize: Int, initialState: [Float]? = nil) {
        precondition(batchSize > 0, "batchSize must be positive, got \(batchSize)")
        let rows = input.rowCount
        precondition(rows % batchSize == 0 && rows > 0,
                     "input has \(rows) rows, not a positive multiple of batch size \(batchSize)")
        let T = rows / batchSize, B = batchSize, H = hiddenSize
        self.batchSize = B
        self.steps = T
        switch input {
        case .tokens(let t):
            inputIsTokens = true
            for (r, token) in t.enumerated() {
                precondition(token >= -1 && Int(token) < inputSize,
                             "token \(token) at row \(r) is outside 0..<\(inputSize) (or -1 for no input)")
            }
            tokens.removeAll(keepingCapacity: true)
            tokens.append(contentsOf: t)
        case .dense(let m):
            precondition(m.cols == inputSize, "dense input is [\(m.rows), \(m.cols)], expected [T*B, \(inputSize)]")
            inputIsTokens = false
            denseInput.copy(from: m.storage)
        }
        if let h0 = initialState {
            precondition(h0.count == numLayers * B * H,
                         "initialState has \(h0.count) elements, expected numLayers*B*H = \(numLayers * B * H)")
        }
        biasRow.resize(H)
        for k in 0..<numLayers {
            states[k].resize((T + 1) * B * H)
            outputGradients[k].resize(T * B * H)
            outputGradients[k].zero()
            if let h0 = initialState {
                h0.withUnsafeBufferPointer { states[k].pointer.update(from: $0.baseAddress! + k * B * H, count: B * H) }
            } else {
                states[k].pointer.update(repeating: 0, count: B * H)
            }
        }
        parameters.values.withUnsafeBufferPointer { values in
            let w = values.baseAddress!
            tokens.withUnsafeBufferPointer { tok in
                for k in 0..<numLayers {
                    forwardLayer(k, T: T, B: B, w: w, tokens: tok.baseAddress)
                }
            }
        }
    }

    private func forwardLayer(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, tokens: UnsafePointer<Int32>?) {
        let H = hiddenSize, I = layerInputSize(k)
        let h = states[k].pointer
        let pre = h + B * H                       // rows 1...T: pre-activations, then outputs
        let bias = biasRow.pointer
        if hasBias {
            for j in 0..<H { bias[j] = w[biasIH[k].offset + j] + w[biasHH[k].offset + j] }
        } else {
            bias.update(repeating: 0, count: H)
        }
        for r in 0..<(T * B) { (pre + r * H).update(from: bias, count: H) }
        let wih = w + weightIH[k].offset
        // 1. All input projections at once: A = X W_ihᵀ + b (a gather for tokens).
        profiler.measure(.inputProjection) {
        if k == 0 && inputIsTokens {
            let tok = tokens!
            for r in 0..<(T * B) {
                let v = Int(tok[r])
                if v < 0 { continue }
                let row = pre + r * H
                for j in 0..<H { row[j] += wih[j * I + v] }
            }
        } else {
            let x = k == 0 ? UnsafePointer(denseInput.pointer) : UnsafePointer(states[k - 1].pointer + B * H)
            BLAS.gemm(.none, .transposed, m: T * B, n: H, k: I, a: x, lda: I, b: wih, ldb: I,
                      beta: 1, c: pre, ldc: H)
        }
        }
        // 2. The recurrence: A_t += h_{t-1} W_hhᵀ, then h_t = act(A_t) in place.
        let whh = w + weightHH[k].offset
        for t in 0..<T {
            let block = pre + t * B * H
            profiler.measure(.forwardRecurrence) {
                BLAS.gemm(.none, .transposed, m: B, n: H, k: H, a: h + t * B * H, lda: H, b: whh, ldb: H,
                          beta: 1, c: block, ldc: H)
            }
            profiler.measure(.elementwise) { nonlinearity.apply(block, count: B * H) }
        }
    }

    /// The top layer's outputs `[T*B, H]` of the last `forward` (a copy).
    public var outputs: Matrix {
        let n = steps * batchSize * hiddenSize
        return Matrix(rows: steps * batchSize, cols: hiddenSize,
                      storage: Array(UnsafeBufferPointer(start: states[numLayers - 1].pointer + batchSize * hiddenSize, count: n)))
    }

    /// Calls `body` with the top layer's outputs `[T*B*H]`, without copying.
    public func withOutputs<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: states[numLayers - 1].pointer + batchSize * hiddenSize,
                                     count: steps * batchSize * hiddenSize))
    }

    /// Calls `body` with d(loss)/d(top outputs) `[T*B*H]` (zeroed by `forward`) to fill
    /// or accumulate into before `backward`.
    public func withOutputGradient<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(outputGradients[numLayers - 1].buffer)
    }

    /// Each layer's state after the last step, `[numLayers*B*H]` (layer-major).
    ///
    /// With `lengths` (`B` values in `1...T`), sequence `b` reads its state after its
    /// own last step `lengths[b] - 1`, so padding after a sequence does not matter.
    public func finalState(lengths: [Int]? = nil) -> [Float] {
        var out: [Float] = []
        finalState(lengths: lengths, into: &out)
        return out
    }

    /// `finalState(lengths:)` written into `out` (resized to `[numLayers*B*H]`; no
    /// allocation when it already has that size, as in a training loop).
    public func finalState(lengths: [Int]? = nil, into out: inout [Float]) {
        let B = batchSize, H = hiddenSize, T = steps
        if let lengths { checkLengths(lengths) }
        if out.count != numLayers * B * H { out = [Float](repeating: 0, count: numLayers * B * H) }
        out.withUnsafeMutableBufferPointer { o in
            for k in 0..<numLayers {
                for b in 0..<B {
                    let t = lengths?[b] ?? T                       // row block t holds h after step t-1
                    (o.baseAddress! + (k * B + b) * H).update(from: states[k].pointer + (t * B + b) * H, count: H)
                }
            }
        }
    }

    func checkLengths(_ lengths: [Int]) {
        precondition(lengths.count == batchSize, "lengths has \(lengths.count) entries, batch size is \(batchSize)")
        for (b, n) in lengths.enumerated() {
            precondition(n >= 1 && n <= steps, "lengths[\(b)] = \(n) is outside 1...\(steps)")
        }
    }
}
