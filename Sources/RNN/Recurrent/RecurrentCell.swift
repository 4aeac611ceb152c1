/// The kind of recurrent cell of a layer stack, with PyTorch's gate layout.
public enum RecurrentCell: String, Sendable, CaseIterable, Codable {
    /// Vanilla (Elman) RNN: `h' = act(W_ih x + b_ih + W_hh h + b_hh)`; 1 gate block.
    case rnn
    /// GRU (`torch.nn.GRU`): gates r, z, n; 3 blocks.
    case gru
    /// LSTM (`torch.nn.LSTM`): gates i, f, g, o; 4 blocks; state `(h, c)`.
    case lstm

    /// Number of `[H, ·]` blocks stacked in `weight_ih` / `weight_hh`.
    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .gru: return 3
        case .lstm: return 4
        }
    }

    /// Number of `[numLayers·directions, B, H]` tensors in the recurrent state (LSTM: h and c).
    public var stateParts: Int { self == .lstm ? 2 : 1 }
}

extension RecurrentStack {
    /// A stack of `cell` layers (in both directions when `bidirectional`); `nonlinearity`
    /// applies to the vanilla RNN only (GRU and LSTM have fixed activations).
    public static func make(
        _ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, numLayers: Int = 1,
        nonlinearity: Nonlinearity = .tanh, bias: Bool = true, bidirectional: Bool = false,
        parameters: ParameterStore, prefix: String = "rnn."
    ) -> RecurrentStack {
        switch cell {
        case .rnn:
            return ElmanRNN(
                inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers,
                nonlinearity: nonlinearity, bias: bias, bidirectional: bidirectional, parameters: parameters,
                prefix: prefix)
        case .gru:
            return GRU(
                inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                bidirectional: bidirectional, parameters: parameters, prefix: prefix)
        case .lstm:
            return LSTM(
                inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                bidirectional: bidirectional, parameters: parameters, prefix: prefix)
        }
    }
}
