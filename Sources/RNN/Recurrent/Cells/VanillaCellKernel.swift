import Linalg

/// The vanilla (Elman) cell: `h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh)`. It keeps
/// no gates: the pre-activations go into the `h` rows and are activated in place, and the
/// backward turns d(loss)/d(h_t) into d(loss)/d(pre-activation) in place too.
struct VanillaCellKernel: CellKernel {
    let nonlinearity: Nonlinearity

    var kind: RecurrentCell { .rnn }
    var buffers: CellBuffers { CellBuffers() }
    var hiddenBiasInProjection: Bool { true }

    func projectionTarget(_ activations: DirectionActivations, batchSize B: Int, hidden H: Int) -> UnsafeMutablePointer<Float> {
        activations.states[0].pointer + B * H
    }

    /// `A_t += h_{t-1} W_hhᵀ`, then `h_t = act(A_t)` in place.
    func forwardStep(_ t: Int, _ share: StepShare, _ pass: ForwardPass) {
        let (B, H) = (pass.batchSize, pass.hidden), rows = share.rows, units = share.units
        let block = pass.activations.states + (t + 1) * B * H
        pass.profiler.measure(.forwardRecurrence) { pass.accumulateRecurrentProduct(step: t, into: block, share: share) }
        pass.profiler.measure(.elementwise) {
            if units.count == H {
                nonlinearity.apply(block + rows.lowerBound * H, count: rows.count * H)
            } else {
                for b in rows { nonlinearity.apply(block + b * H + units.lowerBound, count: units.count) }
            }
        }
    }

    /// `dA_t = dH_t ⊙ act'(h_t)`, in place (the output gradient becomes the gate gradient).
    func backwardStep(_ t: Int, _ pass: BackwardPass, previous: UnsafeMutablePointer<Float>) {
        let (B, H) = (pass.batchSize, pass.hidden)
        pass.profiler.measure(.elementwise) {
            nonlinearity.multiplyByDerivative(
                pass.outputGradient + t * B * H, output: pass.activations.states + (t + 1) * B * H,
                count: B * H)
        }
    }
}
