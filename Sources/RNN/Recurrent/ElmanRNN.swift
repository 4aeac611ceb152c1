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

    /// Creates the stack and registers its (zero) parameters; call `initialize`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: Nonlinearity = .tanh,
        bias: Bool = true, bidirectional: Bool = false, parameters: ParameterStore, prefix: String = "rnn."
    ) {
        self.nonlinearity = nonlinearity
        super.init(
            kernel: VanillaCellKernel(nonlinearity: nonlinearity), inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
            bias: bias,
            bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }
}
