import Linalg

/// A stack of GRU layers with PyTorch's equations, gate order and parameters
/// (`torch.nn.GRU`): gate blocks r, z, n in `weight_ih_l{k}` [3H, I_k],
/// `weight_hh_l{k}` [3H, H], `bias_ih_l{k}` [3H], `bias_hh_l{k}` [3H]:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 - z) ⊙ n + z ⊙ h
///
/// ```swift
/// let gru = GRU(inputSize: 5, hiddenSize: 8, numLayers: 2, parameters: store)
/// gru.initialize(using: &rng)
/// gru.forward(.tokens(tokens), batchSize: B)
/// ```
/// Same schedule as `ElmanRNN`: one input GEMM (or gather) for all gates and steps,
/// one `[B,H]x[H,3H]` GEMM per step plus fused gate math, weight gradients as single
/// GEMMs over all `T*B` rows.
/// - Complexity: `O(T·B·3H·(I + H))` per layer, forward and backward.
public final class GRU: RecurrentStack {
    /// Creates the stack and registers its (zero) parameters; call `initialize`.
    public init(
        inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
        parameters: ParameterStore, prefix: String = "rnn."
    ) {
        super.init(
            kernel: GRUCellKernel(), inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
            bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }
}
