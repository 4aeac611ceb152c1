import _RNNKernels

/// The gated cells' fused forward and backward elementwise math for one time step of `rows`
/// sequences, in the C target `_RNNKernels` (vectorized, with an AVX2 + FMA
/// variant chosen at run time like `Vector`'s). Every buffer must be distinct; all are
/// row-major with `hidden` (`H`) units per row.
///
/// - Complexity: O(rows · H), one pass.
package enum GateKernels {
    /// LSTM forward: `gates` `[rows, 4H]` holds the pre-activations of i, f, g, o and
    /// becomes their activations; writes `c' = f ⊙ c + i ⊙ g`, `tanh(c')` and
    /// `h' = o ⊙ tanh(c')` (`[rows, H]` each) from the previous cell state.
    static func lstmForwardStep(
        gates: UnsafeMutablePointer<Float>, previousCells: UnsafePointer<Float>,
        nextCells: UnsafeMutablePointer<Float>, tanhCells: UnsafeMutablePointer<Float>,
        nextStates: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        srnn_lstm_forward_step(gates, previousCells, nextCells, tanhCells, nextStates, rows, hidden)
    }

    /// GRU forward: `gates` `[rows, 3H]` holds the input side's pre-activations and
    /// becomes r, z, n; `hiddenSide` `[rows, 3H]` is `h W_hhᵀ + b_hh`. Copies its n block
    /// to `hiddenN` and writes `h' = n + z ⊙ (h − n)` (`[rows, H]` each).
    static func gruForwardStep(
        gates: UnsafeMutablePointer<Float>, hiddenSide: UnsafePointer<Float>,
        previousStates: UnsafePointer<Float>, hiddenN: UnsafeMutablePointer<Float>,
        nextStates: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        srnn_gru_forward_step(gates, hiddenSide, previousStates, hiddenN, nextStates, rows, hidden)
    }

    /// `lstmForwardStep` for one row's units `0..<units` (a thread's slice): gate block `g`
    /// of unit `j` at `gates[g·stride + j]` (`stride` = H); the state pointers at the
    /// slice's first unit.
    static func lstmForwardUnits(
        gates: UnsafeMutablePointer<Float>, stride: Int, previousCells: UnsafePointer<Float>,
        nextCells: UnsafeMutablePointer<Float>, tanhCells: UnsafeMutablePointer<Float>,
        nextStates: UnsafeMutablePointer<Float>, units: Int
    ) {
        srnn_lstm_forward_units(gates, stride, previousCells, nextCells, tanhCells, nextStates, units)
    }

    /// `gruForwardStep` for one row's units `0..<units`, the gate blocks of `gates` and
    /// `hiddenSide` at `stride`.
    static func gruForwardUnits(
        gates: UnsafeMutablePointer<Float>, hiddenSide: UnsafePointer<Float>, stride: Int,
        previousStates: UnsafePointer<Float>, hiddenN: UnsafeMutablePointer<Float>,
        nextStates: UnsafeMutablePointer<Float>, units: Int
    ) {
        srnn_gru_forward_units(gates, hiddenSide, stride, previousStates, hiddenN, nextStates, units)
    }

    /// LSTM: from the activated gates `[rows, 4H]` (i, f, g, o), the previous cell state,
    /// `tanh(c)` and d(loss)/d(h) (`[rows, H]` each), makes d(loss)/d(pre-activation gates)
    /// `[rows, 4H]` and replaces `cellGradient` `[rows, H]` (from step t+1) by the one
    /// flowing to step t−1. The gate gradients go to the outputs given, in the one pass:
    /// the floats into `gateGradient`, their bf16 bits (as `BFloat16.round` rounds them)
    /// into `gateGradientBits`, their column sums `[4H]` added into `gateGradientSums`
    /// row after row, and each row added into the row of `tokenTable` `[V, 4H]` that its
    /// token in `tokens` `[rows]` names (none for a token of -1).
    package static func lstmBackwardStep(
        gates: UnsafePointer<Float>, previousCells: UnsafePointer<Float>,
        tanhCells: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        gateGradient: UnsafeMutablePointer<Float>?, gateGradientBits: UnsafeMutablePointer<UInt16>? = nil,
        gateGradientSums: UnsafeMutablePointer<Float>? = nil, tokens: UnsafePointer<Int32>? = nil,
        tokenTable: UnsafeMutablePointer<Float>? = nil, cellGradient: UnsafeMutablePointer<Float>, rows: Int,
        hidden: Int
    ) {
        precondition((tokens == nil) == (tokenTable == nil), "tokens and their table come together")
        srnn_lstm_backward_step(
            gates, previousCells, tanhCells, outputGradient, gateGradient, gateGradientBits, gateGradientSums,
            tokens, tokenTable, cellGradient, rows, hidden)
    }

    /// GRU: from the activated gates `[rows, 3H]` (r, z, n), `hiddenN = W_hn h + b_hn`, the
    /// previous state and d(loss)/d(h) (`[rows, H]` each), makes d(loss)/d(pre-activation)
    /// of the input side and of the hidden side (`[rows, 3H]`; the hidden side's n block is
    /// the input side's times r) and adds `dh ⊙ z` into `previousStateGradient` `[rows, H]`.
    /// The two sides go to the outputs given, as `lstmBackwardStep`'s: the floats into
    /// `inputSideGradient` and `hiddenSideGradient` (both or neither), the bits into
    /// `inputSideBits` and `hiddenSideBits` (either), the column sums `[3H]` into
    /// `inputSideSums` and `hiddenSideSums` (both or neither), and the input side's rows
    /// into `tokenTable` `[V, 3H]` by `tokens`.
    package static func gruBackwardStep(
        gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
        previousStates: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputSideGradient: UnsafeMutablePointer<Float>?, hiddenSideGradient: UnsafeMutablePointer<Float>?,
        inputSideBits: UnsafeMutablePointer<UInt16>? = nil, hiddenSideBits: UnsafeMutablePointer<UInt16>? = nil,
        inputSideSums: UnsafeMutablePointer<Float>? = nil, hiddenSideSums: UnsafeMutablePointer<Float>? = nil,
        tokens: UnsafePointer<Int32>? = nil, tokenTable: UnsafeMutablePointer<Float>? = nil,
        previousStateGradient: UnsafeMutablePointer<Float>, rows: Int, hidden: Int
    ) {
        precondition((inputSideGradient == nil) == (hiddenSideGradient == nil), "the two sides' floats come together")
        precondition((inputSideSums == nil) == (hiddenSideSums == nil), "the two sides' sums come together")
        precondition((tokens == nil) == (tokenTable == nil), "tokens and their table come together")
        srnn_gru_backward_step(
            gates, hiddenN, previousStates, outputGradient, inputSideGradient, hiddenSideGradient, inputSideBits,
            hiddenSideBits, inputSideSums, hiddenSideSums, tokens, tokenTable, previousStateGradient, rows, hidden)
    }
}
