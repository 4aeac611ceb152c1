import Linalg

/// The LSTM cell with PyTorch's equations and gate order (i, f, g, o), no projection:
///
///     i = σ(·), f = σ(·), g = tanh(·), o = σ(·)   of  W_i* x + b_i* + W_h* h + b_h*
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// Its state has two parts (`h`, `c`); it keeps `tanh(c)` per step for the backward, which
/// carries `dc` from step to step in a `[B, H]` scratch.
struct LSTMCellKernel: CellKernel {
    var kind: RecurrentCell { .lstm }
    var buffers: CellBuffers {
        CellBuffers(gateBlocks: 4, keepsAuxiliary: true, gateGradientBlocks: 4, carriesCellGradient: true)
    }
    var hiddenBiasInProjection: Bool { true }

    func projectionTarget(_ activations: DirectionActivations, batchSize B: Int, hidden H: Int) -> UnsafeMutablePointer<Float> {
        activations.gates.pointer
    }

    func forwardStep(_ t: Int, _ share: StepShare, _ pass: ForwardPass) {
        let (B, H) = (pass.batchSize, pass.hidden), G = 4 * H, rows = share.rows, units = share.units
        let at = pass.activations.gates! + t * B * G
        pass.profiler.measure(.forwardRecurrence) { pass.accumulateRecurrentProduct(step: t, into: at, share: share) }
        pass.profiler.measure(.elementwise) {
            // i, f, o = σ, g = tanh; c' = f c + i g; h' = o tanh(c') (vectorized C kernel).
            let c = pass.activations.cells!, cp = c + t * B * H, cn = c + (t + 1) * B * H
            let tct = pass.activations.auxiliary! + t * B * H, hn = pass.activations.states + (t + 1) * B * H
            if units.count == H {
                let r = rows.lowerBound
                GateKernels.lstmForwardStep(
                    gates: at + r * G, previousCells: cp + r * H, nextCells: cn + r * H,
                    tanhCells: tct + r * H, nextStates: hn + r * H, rows: rows.count, hidden: H)
            } else {
                for b in rows {
                    let u = b * H + units.lowerBound
                    GateKernels.lstmForwardUnits(
                        gates: at + b * G + units.lowerBound, stride: H, previousCells: cp + u,
                        nextCells: cn + u, tanhCells: tct + u, nextStates: hn + u, units: units.count)
                }
            }
        }
    }

    func backwardStep(_ t: Int, _ pass: BackwardPass, previous: UnsafeMutablePointer<Float>) {
        let (B, H) = (pass.batchSize, pass.hidden), G = 4 * H
        let dc = pass.cellGradient!
        if t == pass.steps - 1 { dc.update(repeating: 0, count: B * H) }
        // The c part of a final-state gradient enters at each sequence's last step.
        pass.forEachFinalStateRow(part: 1, step: t) { b, g in
            let row = dc + b * H
            for j in 0..<H { row[j] += g[j] }
        }
        pass.profiler.measure(.elementwise) {
            // Per unit: dc̃ = dc + dh·o·(1 − tanh²c); di = dc̃·g·i(1−i), df = dc̃·c_prev·f(1−f),
            // dg = dc̃·i·(1−g²), do = dh·tanh c·o(1−o); dc ← dc̃·f (vectorized C kernel),
            // the gate gradients in the forms the walk asks for.
            let forms = pass.forms
            GateKernels.lstmBackwardStep(
                gates: pass.activations.gates! + t * B * G, previousCells: pass.activations.cells! + t * B * H,
                tanhCells: pass.activations.auxiliary! + t * B * H, outputGradient: pass.outputGradient + t * B * H,
                gateGradient: forms.floats ? pass.inputSideGradient + t * B * G : nil,
                gateGradientBits: forms.bits.map { $0 + t * B * G }, gateGradientSums: forms.sums,
                tokens: forms.tokens.map { $0 + t * B }, tokenTable: forms.tokenTable, cellGradient: dc, rows: B,
                hidden: H)
        }
    }

    var makesGateGradientForms: Bool { true }

    func finishBackward(_ pass: BackwardPass) {
        pass.initialStateGradient(1).update(from: pass.cellGradient!, count: pass.batchSize * pass.hidden)
    }
}
