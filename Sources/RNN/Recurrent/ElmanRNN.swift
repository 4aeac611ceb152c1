import Linalg

/// A stack of vanilla (Elman) RNN layers with PyTorch's equations, shapes and names:
/// `h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)` per layer, the outputs of
/// layer `k` being the inputs of layer `k + 1`.
///
/// Parameters (registered in a `ParameterStore` under `prefix`), for each layer `k`:
/// `weight_ih_l{k}` [H, I_k] (`I_0 = inputSize`, else `H`), `weight_hh_l{k}` [H, H],
/// `bias_ih_l{k}` [H], `bias_hh_l{k}` [H] (biases only when `bias` is true).
///
/// ```swift
/// let store = ParameterStore()
/// let rnn = ElmanRNN(inputSize: 5, hiddenSize: 8, numLayers: 2, parameters: store)
/// var rng = SeededRandom(seed: 1)
/// rnn.initialize(.pytorchDefault, using: &rng)
/// rnn.forward(.tokens([0, 3, 1, 4]), batchSize: 2)   // T = 2, B = 2
/// let h = rnn.outputs          // [T*B, H] = [4, 8]
/// let hT = rnn.finalState()    // [numLayers * B * H]: [L, B, H]
/// ```
/// - Complexity: forward and backward are `O(T·B·H·(I + H·L))` per layer, spent in
///   one input GEMM (a row gather for tokens), `T` small `[B,H]x[H,H]` GEMMs, and
///   (backward) weight-gradient GEMMs with `K = T*B`.
public final class ElmanRNN: RecurrentStack {
    /// The activation of every layer (`torch.nn.RNN(nonlinearity:)`).
    public let nonlinearity: Nonlinearity

    override public var vanillaNonlinearity: Nonlinearity? { nonlinearity }

    /// Creates the stack and registers its (zero) parameters; call `initialize`.
    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                bias: Bool = true, bidirectional: Bool = false, parameters: ParameterStore, prefix: String = "rnn.") {
        self.nonlinearity = nonlinearity
        super.init(cell: .rnn, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }

    /// Pre-activations go straight into the state rows, and are activated in place.
    override func projectionTarget(_ k: Int) -> UnsafeMutablePointer<Float> {
        states[k].pointer + batchSize * hiddenSize
    }

    /// For t in 0..<T: `A_t += h_{t-1} W_hhᵀ`, then `h_t = act(A_t)` in place.
    override func recurrenceForward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>) {
        let H = hiddenSize
        let h = states[k].pointer
        let whh = recurrentWeight(k, w: w, batchSize: B)
        let profiler = stepProfiler
        forEachStep(T: T, B: B) { t, share in
            let block = h + (t + 1) * B * H, rows = share.rows, units = share.units
            profiler.measure(.forwardRecurrence) {
                accumulateGateProducts(h + t * B * H, ldx: H, depth: H, whh, into: block, share: share)
            }
            profiler.measure(.elementwise) {
                if units.count == H { nonlinearity.apply(block + rows.lowerBound * H, count: rows.count * H) }
                else { for b in rows { nonlinearity.apply(block + b * H + units.lowerBound, count: units.count) } }
            }
        }
    }

    /// `dA_t = (dH_t + carry) ⊙ act'(h_t)`; `carry = dA_t W_hh`, accumulated straight into
    /// block t-1 of dH (in place: the output gradient becomes dA).
    override func recurrenceBackward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, finalState: FinalStateGradient?)
        -> (inputSide: UnsafePointer<Float>, hiddenSide: UnsafePointer<Float>) {
        let H = hiddenSize
        let h = states[k].pointer
        let d = outputGradients[k].pointer
        let whh = w + weightHH[k].offset
        let dh0 = initialStateGradient(part: 0, layer: k)
        for t in (0..<T).reversed() {
            let block = d + t * B * H
            observeStateGradient(k, t, block)
            profiler.measure(.elementwise) {
                nonlinearity.multiplyByDerivative(block, output: h + (t + 1) * B * H, count: B * H)
            }
            let carryTarget = t > 0 ? d + (t - 1) * B * H : dh0
            profiler.measure(.backwardRecurrence) {
                BLAS.gemm(.none, .none, m: B, n: H, k: H, a: block, lda: H, b: whh, ldb: H,
                          beta: t > 0 ? 1 : 0, c: carryTarget, ldc: H)
            }
        }
        return (UnsafePointer(d), UnsafePointer(d))
    }
}
