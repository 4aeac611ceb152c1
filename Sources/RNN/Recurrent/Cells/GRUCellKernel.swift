import Linalg

/// The GRU cell with PyTorch's equations and gate order (r, z, n):
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 - z) ⊙ n + z ⊙ h
///
/// Its hidden side (`h W_hhᵀ + b_hh`) is a step's scratch, since `b_hn` sits inside the
/// reset product; it keeps `W_hn h + b_hn` per step for the backward, whose hidden-side
/// gate gradients differ from the input side's in the n block.
struct GRUCellKernel: CellKernel {
    var kind: RecurrentCell { .gru }
    var buffers: CellBuffers {
        CellBuffers(
            gateBlocks: 3, keepsAuxiliary: true, stepScratchBlocks: 3, gateGradientBlocks: 3,
            separateHiddenSide: true, addsToPreviousStateGradient: true)
    }
    var hiddenBiasInProjection: Bool { false }

    func projectionTarget(_ activations: DirectionActivations, batchSize B: Int, hidden H: Int) -> UnsafeMutablePointer<Float> {
        activations.gates.pointer
    }

    func forwardStep(_ t: Int, _ share: StepShare, _ pass: ForwardPass) {
        let (B, H) = (pass.batchSize, pass.hidden), G = 3 * H, rows = share.rows, units = share.units
        let h = pass.activations.states, a = pass.activations.gates!, hn = pass.activations.auxiliary!, s = pass.stepScratch!
        pass.profiler.measure(.forwardRecurrence) {
            // The hidden side of these rows and units: b_hh + h W_hhᵀ.
            for b in rows {
                for g in 0..<3 {
                    let column = g * H + units.lowerBound, block = s + b * G + column
                    if let bias = pass.hiddenBias {
                        block.update(from: bias + column, count: units.count)
                    } else {
                        block.update(repeating: 0, count: units.count)
                    }
                }
            }
            pass.accumulateRecurrentProduct(step: t, into: s, share: share)
        }
        pass.profiler.measure(.elementwise) {
            // r, z = σ(input + hidden side); n = tanh(input n + r hn); h' = n + z (h − n)
            // (vectorized C kernel).
            let at = a + t * B * G, hp = h + t * B * H, hnt = hn + t * B * H, hx = h + (t + 1) * B * H
            if units.count == H {
                let r = rows.lowerBound
                GateKernels.gruForwardStep(
                    gates: at + r * G, hiddenSide: s + r * G, previousStates: hp + r * H,
                    hiddenN: hnt + r * H, nextStates: hx + r * H, rows: rows.count, hidden: H)
            } else {
                for b in rows {
                    let u = b * H + units.lowerBound
                    GateKernels.gruForwardUnits(
                        gates: at + b * G + units.lowerBound, hiddenSide: s + b * G + units.lowerBound,
                        stride: H, previousStates: hp + u, hiddenN: hnt + u, nextStates: hx + u,
                        units: units.count)
                }
            }
        }
    }

    func backwardStep(_ t: Int, _ pass: BackwardPass, previous: UnsafeMutablePointer<Float>) {
        let (B, H) = (pass.batchSize, pass.hidden), G = 3 * H
        pass.profiler.measure(.elementwise) {
            if t == 0 { previous.update(repeating: 0, count: B * H) }
            // Per unit: dn = dh·(1−z)·(1−n²), dr = dn·hn·r(1−r), dz = dh·(h_prev − n)·z(1−z);
            // the hidden side's n block is dn·r; dh_prev += dh·z (vectorized C kernel), the
            // gate gradients in the forms the walk asks for.
            let forms = pass.forms
            GateKernels.gruBackwardStep(
                gates: pass.activations.gates! + t * B * G, hiddenN: pass.activations.auxiliary! + t * B * H,
                previousStates: pass.activations.states + t * B * H, outputGradient: pass.outputGradient + t * B * H,
                inputSideGradient: forms.floats ? pass.inputSideGradient + t * B * G : nil,
                hiddenSideGradient: forms.floats ? pass.hiddenSideGradient + t * B * G : nil,
                inputSideBits: forms.inputBits.map { $0 + t * B * G }, hiddenSideBits: forms.bits.map { $0 + t * B * G },
                inputSideSums: forms.sums, hiddenSideSums: forms.hiddenSums, tokens: forms.tokens.map { $0 + t * B },
                tokenTable: forms.tokenTable, previousStateGradient: previous, rows: B, hidden: H)
        }
    }

    var makesGateGradientForms: Bool { true }
}
