import ElementwiseKernels

/// The gated cells' fused backward elementwise math for one time step of `rows`
/// sequences, in the C target `ElementwiseKernels` (vectorized, with an AVX2 + FMA
/// variant chosen at run time like `Vector`'s). Every buffer must be distinct; all are
/// row-major with `hidden` (`H`) units per row.
///
/// - Complexity: O(rows · H), one pass.
enum GateKernels {
    /// LSTM: from the activated gates `[rows, 4H]` (i, f, g, o), the previous cell state,
    /// `tanh(c)` and d(loss)/d(h) (`[rows, H]` each), writes d(loss)/d(pre-activation gates)
    /// `[rows, 4H]` and replaces `cellGradient` `[rows, H]` (from step t+1) by the one
    /// flowing to step t−1.
    static func lstmBackwardStep(gates: UnsafePointer<Float>, previousCells: UnsafePointer<Float>,
                                        tanhCells: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                        gateGradient: UnsafeMutablePointer<Float>,
                                        cellGradient: UnsafeMutablePointer<Float>, rows: Int, hidden: Int) {
        srnn_lstm_backward_step(gates, previousCells, tanhCells, outputGradient, gateGradient, cellGradient,
                                rows, hidden)
    }

    /// GRU: from the activated gates `[rows, 3H]` (r, z, n), `hiddenN = W_hn h + b_hn`, the
    /// previous state and d(loss)/d(h) (`[rows, H]` each), writes d(loss)/d(pre-activation)
    /// of the input side and of the hidden side (`[rows, 3H]`; the hidden side's n block is
    /// the input side's times r) and adds `dh ⊙ z` into `previousStateGradient` `[rows, H]`.
    static func gruBackwardStep(gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
                                       previousStates: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                                       inputSideGradient: UnsafeMutablePointer<Float>,
                                       hiddenSideGradient: UnsafeMutablePointer<Float>,
                                       previousStateGradient: UnsafeMutablePointer<Float>, rows: Int, hidden: Int) {
        srnn_gru_backward_step(gates, hiddenN, previousStates, outputGradient, inputSideGradient,
                               hiddenSideGradient, previousStateGradient, rows, hidden)
    }
}
