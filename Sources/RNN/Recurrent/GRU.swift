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
    /// Per layer `[T*B, 3H]`: input projections, then r, z, n after activation.
    var gates: [FloatBuffer] = []
    /// Per layer `[T*B, H]`: `W_hn h + b_hn`, needed by the backward pass.
    var hiddenN: [FloatBuffer] = []
    let stepScratch = FloatBuffer()            // [B, 3H]: h W_hhᵀ + b_hh
    let inputSideGradient = FloatBuffer()      // [T*B, 3H]
    let hiddenSideGradient = FloatBuffer()     // [T*B, 3H]

    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
                parameters: ParameterStore, prefix: String = "rnn.") {
        super.init(cell: .gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }

    override func prepareCellBuffers(T: Int, B: Int) {
        let H = hiddenSize
        while gates.count < layerDirections { gates.append(FloatBuffer()); hiddenN.append(FloatBuffer()) }
        for k in 0..<layerDirections {
            gates[k].resize(T * B * 3 * H)
            hiddenN[k].resize(T * B * H)
        }
        stepScratch.resize(B * 3 * H)
    }

    override func projectionTarget(_ k: Int) -> UnsafeMutablePointer<Float> { gates[k].pointer }

    override var cellHeldFloats: Int {
        (gates + hiddenN + [stepScratch, inputSideGradient, hiddenSideGradient]).reduce(0) { $0 + $1.heldFloats }
    }
    override func activatedGates(layer k: Int) -> UnsafePointer<Float> { UnsafePointer(gates[k].pointer) }

    override var hiddenBiasInProjection: Bool { false }

    override func recurrenceForward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>) {
        let H = hiddenSize, G = 3 * H
        let h = states[k].pointer, a = gates[k].pointer, hn = hiddenN[k].pointer, s = stepScratch.pointer
        let whh = recurrentWeight(k, w: w, batchSize: B)
        let profiler = stepProfiler
        forEachStep(T: T, B: B) { t, share in
            let rows = share.rows, units = share.units
            profiler.measure(.forwardRecurrence) {
                // The hidden side of these rows and units: b_hh + h W_hhᵀ.
                for b in rows {
                    for g in 0..<3 {
                        let column = g * H + units.lowerBound, block = s + b * G + column
                        if hasBias { block.update(from: w + biasHH[k].offset + column, count: units.count) }
                        else { block.update(repeating: 0, count: units.count) }
                    }
                }
                accumulateGateProducts(h + t * B * H, ldx: H, depth: H, whh, into: s, share: share)
            }
            profiler.measure(.elementwise) {
                // r, z = σ(input + hidden side); n = tanh(input n + r hn); h' = n + z (h − n)
                // (vectorized C kernel).
                let at = a + t * B * G, hp = h + t * B * H, hnt = hn + t * B * H, hx = h + (t + 1) * B * H
                if units.count == H {
                    let r = rows.lowerBound
                    GateKernels.gruForwardStep(gates: at + r * G, hiddenSide: s + r * G, previousStates: hp + r * H,
                                               hiddenN: hnt + r * H, nextStates: hx + r * H, rows: rows.count, hidden: H)
                } else {
                    for b in rows {
                        let u = b * H + units.lowerBound
                        GateKernels.gruForwardUnits(gates: at + b * G + units.lowerBound, hiddenSide: s + b * G + units.lowerBound,
                                                    stride: H, previousStates: hp + u, hiddenN: hnt + u, nextStates: hx + u,
                                                    units: units.count)
                    }
                }
            }
        }
    }

    override func recurrenceBackward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, finalState: FinalStateGradient?)
        -> (inputSide: UnsafePointer<Float>, hiddenSide: UnsafePointer<Float>) {
        let H = hiddenSize, G = 3 * H
        inputSideGradient.resize(T * B * G)
        hiddenSideGradient.resize(T * B * G)
        let h = states[k].pointer, a = gates[k].pointer, hn = hiddenN[k].pointer
        let d = outputGradients[k].pointer, dAi = inputSideGradient.pointer, dAh = hiddenSideGradient.pointer
        let whh = w + weightHH[k].offset
        let dh0 = initialStateGradient(part: 0, layer: k)
        for t in (0..<T).reversed() {
            let prev = t > 0 ? d + (t - 1) * B * H : dh0
            observeStateGradient(k, t, d + t * B * H)
            profiler.measure(.elementwise) {
                if t == 0 { prev.update(repeating: 0, count: B * H) }
                // Per unit: dn = dh·(1−z)·(1−n²), dr = dn·hn·r(1−r), dz = dh·(h_prev − n)·z(1−z);
                // the hidden side's n block is dn·r; dh_prev += dh·z (vectorized C kernel).
                GateKernels.gruBackwardStep(gates: a + t * B * G, hiddenN: hn + t * B * H, previousStates: h + t * B * H,
                                            outputGradient: d + t * B * H, inputSideGradient: dAi + t * B * G,
                                            hiddenSideGradient: dAh + t * B * G, previousStateGradient: prev,
                                            rows: B, hidden: H)
            }
            profiler.measure(.backwardRecurrence) {
                BLAS.gemm(.none, .none, m: B, n: H, k: G, a: dAh + t * B * G, lda: G, b: whh, ldb: H,
                          beta: 1, c: prev, ldc: H)
            }
        }
        return (UnsafePointer(dAi), UnsafePointer(dAh))
    }
}
