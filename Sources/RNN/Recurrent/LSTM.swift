import Linalg

/// A stack of LSTM layers with PyTorch's equations, gate order and parameters
/// (`torch.nn.LSTM`, no projection): gate blocks i, f, g, o in `weight_ih_l{k}`
/// [4H, I_k], `weight_hh_l{k}` [4H, H], `bias_ih_l{k}` [4H], `bias_hh_l{k}` [4H]:
///
///     i = σ(·), f = σ(·), g = tanh(·), o = σ(·)   of  W_i* x + b_i* + W_h* h + b_h*
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// The state has two parts: initial and final states are `[2, L, B, H]` (`h` then `c`,
/// PyTorch's `(h_n, c_n)` concatenated).
///
/// ```swift
/// let lstm = LSTM(inputSize: 5, hiddenSize: 8, parameters: store)
/// lstm.initialize(using: &rng)
/// lstm.forward(.tokens(tokens), batchSize: B)
/// let hc = lstm.finalState()   // [2 * 1 * B * 8]
/// ```
/// - Complexity: `O(T·B·4H·(I + H))` per layer, forward and backward.
public final class LSTM: RecurrentStack {
    /// Per layer `[(T+1)*B, H]`: the initial `c` block first, then `c` after each step.
    var cells: [FloatBuffer] = []
    /// Per layer `[T*B, 4H]`: input projections, then i, f, g, o after activation.
    var gates: [FloatBuffer] = []
    /// Per layer `[T*B, H]`: `tanh(c)` after each step.
    var tanhCells: [FloatBuffer] = []
    let gateGradient = FloatBuffer()   // [T*B, 4H]
    let cellCarry = FloatBuffer()      // [B, H]

    public init(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, bidirectional: Bool = false,
                parameters: ParameterStore, prefix: String = "rnn.") {
        super.init(cell: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                   bidirectional: bidirectional, parameters: parameters, prefix: prefix)
    }

    override func prepareCellBuffers(T: Int, B: Int) {
        let H = hiddenSize
        while cells.count < layerDirections { cells.append(FloatBuffer()); gates.append(FloatBuffer()); tanhCells.append(FloatBuffer()) }
        for k in 0..<layerDirections {
            cells[k].resize((T + 1) * B * H)
            gates[k].resize(T * B * 4 * H)
            tanhCells[k].resize(T * B * H)
        }
    }

    override func stateBuffer(part: Int, layer k: Int) -> FloatBuffer { part == 0 ? states[k] : cells[k] }

    override var cellHeldFloats: Int { (cells + gates + tanhCells + [gateGradient, cellCarry]).reduce(0) { $0 + $1.heldFloats } }

    override func projectionTarget(_ k: Int) -> UnsafeMutablePointer<Float> { gates[k].pointer }
    override func activatedGates(layer k: Int) -> UnsafePointer<Float> { UnsafePointer(gates[k].pointer) }

    override func recurrenceForward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>) {
        let H = hiddenSize, G = 4 * H
        let h = states[k].pointer, c = cells[k].pointer, a = gates[k].pointer, tc = tanhCells[k].pointer
        let whh = recurrentWeight(k, w: w, batchSize: B)
        let profiler = stepProfiler
        forEachStep(T: T, B: B) { t, share in
            let at = a + t * B * G, rows = share.rows, units = share.units
            profiler.measure(.forwardRecurrence) {
                accumulateGateProducts(h + t * B * H, ldx: H, depth: H, whh, into: at, share: share)
            }
            profiler.measure(.elementwise) {
                // i, f, o = σ, g = tanh; c' = f c + i g; h' = o tanh(c') (vectorized C kernel).
                let cp = c + t * B * H, cn = c + (t + 1) * B * H, tct = tc + t * B * H, hn = h + (t + 1) * B * H
                if units.count == H {
                    let r = rows.lowerBound
                    GateKernels.lstmForwardStep(gates: at + r * G, previousCells: cp + r * H, nextCells: cn + r * H,
                                                tanhCells: tct + r * H, nextStates: hn + r * H, rows: rows.count, hidden: H)
                } else {
                    for b in rows {
                        let u = b * H + units.lowerBound
                        GateKernels.lstmForwardUnits(gates: at + b * G + units.lowerBound, stride: H, previousCells: cp + u,
                                                     nextCells: cn + u, tanhCells: tct + u, nextStates: hn + u,
                                                     units: units.count)
                    }
                }
            }
        }
    }

    override func recurrenceBackward(_ k: Int, T: Int, B: Int, w: UnsafePointer<Float>, finalState: FinalStateGradient?)
        -> (inputSide: UnsafePointer<Float>, hiddenSide: UnsafePointer<Float>) {
        let H = hiddenSize, G = 4 * H, L = layerDirections
        gateGradient.resize(T * B * G)
        cellCarry.resize(B * H)
        cellCarry.zero()
        let c = cells[k].pointer, a = gates[k].pointer, tc = tanhCells[k].pointer
        let d = outputGradients[k].pointer, dA = gateGradient.pointer, dc = cellCarry.pointer
        let whh = w + weightHH[k].offset
        let dh0 = initialStateGradient(part: 0, layer: k)
        for t in (0..<T).reversed() {
            observeStateGradient(k, t, d + t * B * H)
            // The c part of a final-state gradient enters at each sequence's last step.
            if let finalState {
                let g = finalState.values
                for b in 0..<B where (finalState.lengths?[b] ?? T) - 1 == t {
                    let src = ((L + k) * B + b) * H
                    for j in 0..<H { dc[b * H + j] += g[src + j] }
                }
            }
            profiler.measure(.elementwise) {
                // Per unit: dc̃ = dc + dh·o·(1 − tanh²c); di = dc̃·g·i(1−i), df = dc̃·c_prev·f(1−f),
                // dg = dc̃·i·(1−g²), do = dh·tanh c·o(1−o); dc ← dc̃·f (vectorized C kernel).
                GateKernels.lstmBackwardStep(gates: a + t * B * G, previousCells: c + t * B * H,
                                             tanhCells: tc + t * B * H, outputGradient: d + t * B * H,
                                             gateGradient: dA + t * B * G, cellGradient: dc, rows: B, hidden: H)
            }
            let prev = t > 0 ? d + (t - 1) * B * H : dh0
            profiler.measure(.backwardRecurrence) {
                BLAS.gemm(.none, .none, m: B, n: H, k: G, a: dA + t * B * G, lda: G, b: whh, ldb: H,
                          beta: t > 0 ? 1 : 0, c: prev, ldc: H)
            }
        }
        initialStateGradient(part: 1, layer: k).update(from: dc, count: B * H)
        return (UnsafePointer(dA), UnsafePointer(dA))
    }
}
