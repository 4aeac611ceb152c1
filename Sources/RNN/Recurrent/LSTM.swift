import Linalg

/// A stack of LSTM layers with PyTorch's equations, gate order and parameters
/// (`torch.nn.LSTM`, no projection): gate blocks i, f, g, o in `weight_ih_l{k}`
/// [4H, I_k], `weight_hh_l{k}` [4H, H], `bias_ih_l{k}` [4H], `bias_hh_l{k}` [4H]:
///
///     i = σ(·), f = σ(·), g = tanh(·), o = σ(·)   of  W_i* x + b_i* + W_h* h + b_h*
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// The state has two parts: initial and final states are `[2, L, B, H]` (`h` then `c`,
/// PyTorch's `(h_n, c_n)` concatenated).
///
/// ```swift
/// let lstm = LSTM(inputSize: 5, hiddenSize: 8, parameters: store)
/// lstm.initialize(using: &rng)
/// lstm.forward(.tokens(tokens), batchSize: B)
/// let hc = lstm.finalState()   // [2 * 1 * B * 8]
/// ```
/// - Complexity: `O(T·B·4H·(I + H))` per layer, forward and backward.
public final class LSTM: RecurrentStack {
    /// Creates the stack and registers its (zero) parameters; call `initialize`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
        parameters: ParameterStore, prefix: String = "rnn."
    ) {
        super.init(
            kernel: LSTMCellKernel(), inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
            bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }
}
