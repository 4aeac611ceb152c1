/// One layer-direction's activations of the last forward, kept for its backward: each
/// state part `[(T+1)*B, H]` (the initial state first: "previous states" is one
/// contiguous `[T*B, H]` matrix), what its cell keeps (gates, one more `[T*B, H]`), and
/// d(loss)/d(its outputs) `[T*B, H]`. A reverse direction holds its rows in its own
/// (reversed) order. Sized by `RecurrentWorkspace.prepareForward`.
final class DirectionActivations {
    /// `h`, then the LSTM's `c`.
    let states: [FloatBuffer]
    let gates = FloatBuffer()
    let auxiliary = FloatBuffer()
    let outputGradient = FloatBuffer()

    init(stateParts: Int) {
        states = (0..<stateParts).map { _ in FloatBuffer() }
    }

    /// The floats of its buffers.
    var heldFloats: Int { (states + [gates, auxiliary, outputGradient]).reduce(0) { $0 + $1.heldFloats } }
}

/// A layer-direction's activations as pointers to their first rows, for a walk over its
/// steps (nil: a buffer its cell does not keep).
struct ActivationPointers {
    /// `h` `[(T+1)*B, H]`, the initial state first; the LSTM's `c` likewise.
    let states: UnsafeMutablePointer<Float>
    let cells: UnsafeMutablePointer<Float>?
    /// `[T*B, G·H]`: the input projections, then the activated gates.
    let gates: UnsafeMutablePointer<Float>?
    /// `[T*B, H]` the cell keeps (`CellBuffers.keepsAuxiliary`).
    let auxiliary: UnsafeMutablePointer<Float>?

    init(_ activations: DirectionActivations) {
        states = activations.states[0].pointer
        cells = activations.states.count > 1 ? activations.states[1].pointer : nil
        gates = activations.gates.count > 0 ? activations.gates.pointer : nil
        auxiliary = activations.auxiliary.count > 0 ? activations.auxiliary.pointer : nil
    }
}
