import RNN

/// The training FLOPs per token of the character model, derived from the GEMMs a
/// training step actually performs (multiply-add = 2 FLOPs). A cell with `G` gate blocks
/// (1 vanilla RNN, 3 GRU, 4 LSTM) has `[G·H, ·]` weights, so every recurrent GEMM has
/// `G` times the vanilla work. Per token (one row of the `[T*B, ·]` matrices):
///
/// - layer 0, token input (the input projection is a row gather, `dW_ih` a scatter-add,
///   and no `dX` is needed): forward `h_{t-1} W_hhᵀ` 2GH², backward `dA_t W_hh` 2GH²,
///   `dW_hh = dAᵀ H_prev` 2GH² — **6GH²**;
/// - each further layer: forward input GEMM 2GH² and recurrence 2GH², backward recurrence
///   2GH², `dW_hh` 2GH², `dW_ih` 2GH², `dX` 2GH² — **12GH²**;
/// - output layer: forward `H W_oᵀ` 2HV, `dW_o = dYᵀ H` 2HV, `dH = dY W_o` 2HV — **6HV**.
///
/// Elementwise work (activations, gates, softmax, bias sums), the gather/scatter and the
/// optimizer are not counted: they are O(GH + V) per token, not O(H²).
///
/// ```swift
/// FlopModel.trainingFlopsPerToken(BenchConfiguration.named("ref")!)                 // 493 056
/// FlopModel.trainingFlopsPerToken(BenchConfiguration.named("ref")!.with(cell: .lstm)) // 1 672 704
/// ```
enum FlopModel {
    static let formula = "G(6H^2 + 12H^2(L-1)) + 6HV"

    static let explanation = """
        training FLOPs/token = G·(6H² + 12H²·(L−1)) + 6HV with G gate blocks (1 rnn, 3 gru, \
        4 lstm), from the GEMMs a step performs: layer 0 with token input (a gather) does \
        forward h·W_hhᵀ 2GH², backward dA·W_hh 2GH² and dW_hh 2GH²; each further layer 12GH² \
        (input GEMM, recurrence, backward recurrence, dW_hh, dW_ih, dX, 2GH² each); the output \
        layer 6HV (forward, dW, dH). Elementwise work, the gather/scatter and the optimizer \
        are not counted.
        """

    /// The same FLOPs split by the `PhaseProfiler` phase that performs them (they sum to
    /// `trainingFlopsPerToken`): input projection 2GH²(L−1) (layers above 0), forward and
    /// backward recurrence 2GH²L each, weight gradients 2GH² + 6GH²(L−1) (`dW_hh`; above
    /// layer 0 also `dW_ih` and `dX`), output layer + loss 6HV. Elementwise and optimizer: none.
    static func phaseFlopsPerToken(vocab V: Int, hidden H: Int, layers L: Int, gates G: Int)
        -> [PhaseProfiler.Phase: Double]
    {
        let gh2 = Double(G) * Double(H) * Double(H), upper = Double(L - 1)
        return [
            .inputProjection: 2 * gh2 * upper,
            .forwardRecurrence: 2 * gh2 * Double(L),
            .backwardRecurrence: 2 * gh2 * Double(L),
            .weightGradients: 2 * gh2 + 6 * gh2 * upper,
            .outputAndLoss: 6 * Double(H) * Double(V),
        ]
    }

    /// The model's own estimate (`ManyToManyModel.Configuration.trainingFlopsPerToken`,
    /// the formula above), which also chooses the thread split.
    static func trainingFlopsPerToken(_ c: BenchConfiguration) -> Double {
        c.model.trainingFlopsPerToken
    }

    static func phaseFlopsPerToken(_ c: BenchConfiguration) -> [PhaseProfiler.Phase: Double] {
        phaseFlopsPerToken(vocab: c.vocab, hidden: c.hidden, layers: c.layers, gates: c.cell.gateCount)
    }
}
