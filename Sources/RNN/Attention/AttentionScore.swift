/// How a decoder step scores each source position for global attention: Luong's `dot`
/// and `general`, Bahdanau's additive score (`EncoderDecoderModel.Configuration.attention`).
///
/// With the decoder's top output `h_t` `[H]` and the encoder's output `e_s` `[M]` (`M = H`,
/// or `2H` from a bidirectional encoder):
/// - `dot`: `h_t · e_s` (needs `M = H`);
/// - `general`: `h_t · (W_a e_s)`, `attention.weight` `W_a` `[H, M]`;
/// - `additive`: `v · tanh(W_q h_t + b_q + W_k e_s)`, `attention.query.weight` `[H, H]`,
///   `attention.query.bias` `[H]`, `attention.key.weight` `[H, M]`, `attention.v.weight` `[1, H]`.
public enum AttentionScore: String, Codable, CaseIterable, Sendable {
    case dot
    case general
    case additive
}
