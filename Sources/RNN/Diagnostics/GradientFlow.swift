import Foundation
import Linalg

/// How strongly a loss depends on the hidden states before it: per layer, the mean norm
/// of ∂L_t/∂h_{t−k} for `k = 0…horizon`, measured from the backward pass itself (no finite
/// differences). A vanilla RNN's curve falls (or rises) geometrically with `k` — the
/// vanishing (exploding) gradient; a GRU's update gate can keep it up for longer (an
/// LSTM's long path runs through its cell state `c`, which is not measured here).
///
/// `L_{t,b}` is the cross-entropy of sequence `b` at step `t`; for each measured step `t` one
/// backward pass follows `L_t` alone back through the chunk, and row `b` of d(L_t)/d(h_s)
/// is ∂L_{t,b}/∂h_{s,b} (sequences are independent). `norms[l][k]` is the mean over the
/// measured steps and the counted sequences of ‖∂L_{t,b}/∂h^l_{t−k,b}‖₂ (layer `l` from the
/// bottom, `h` the layer's output; an LSTM's `c` is not included).
///
/// ```swift
/// let flow = model.gradientFlow(batch, horizon: 32)
/// flow.norms[0][0], flow.norms[0][32]   // the bottom layer, 0 and 32 steps back
/// flow.decayHorizon(layer: 0)           // the k at which it has fallen 100-fold, if within 32
/// ```
public struct GradientFlow: Sendable, Equatable {
    /// `norms[l][k]` for layers `l` (bottom first) and `k = 0…horizon`.
    public let norms: [[Double]]
    /// The largest `k` measured.
    public var horizon: Int { (norms.first?.count ?? 1) - 1 }
    /// The steps `t` whose losses were followed back (each with `t ≥ horizon`).
    public let steps: [Int]

    /// The smallest `k` at which layer `layer`'s norm is `factor` times smaller than at
    /// `k = 0`, or nil if it stays above that within the horizon.
    public func decayHorizon(layer: Int, factor: Double = 100) -> Int? {
        let curve = norms[layer]
        guard let first = curve.first, first > 0 else { return nil }
        return curve.firstIndex { $0 * factor <= first }
    }

    /// The geometric mean ratio of consecutive norms, `(norm[k₁] / norm[k₀])^(1/(k₁−k₀))`,
    /// over `range` (the per-step growth factor; < 1 decays).
    public func growthPerStep(layer: Int, over range: ClosedRange<Int>) -> Double {
        let curve = norms[layer]
        return Foundation.pow(curve[range.upperBound] / curve[range.lowerBound], 1 / Double(range.count - 1))
    }
}

extension ManyToManyModel {
    /// Measures the gradient flow of `batch` (see `GradientFlow`): one forward pass, then
    /// one backward pass per measured step — up to `maxSteps` steps `t`, evenly spread
    /// over `horizon…T−1`. The parameters are unchanged; their gradients are left zero.
    ///
    /// - Parameters:
    ///   - batch: the input and targets, one chunk of `T` steps.
    ///   - horizon: the largest `k`; at most `T − 1`.
    ///   - maxSteps: how many steps `t` to measure at most.
    /// - Complexity: the forward pass plus `min(maxSteps, T − horizon)` backward passes.
    public func gradientFlow(_ batch: Batch, horizon: Int, maxSteps: Int = 16) -> GradientFlow {
        precondition(!rnn.isBidirectional, "gradient flow follows a causal model's steps back in time; this model is bidirectional")
        let B = batch.batchSize, H = rnn.hiddenSize, L = rnn.numLayers, V = fc.outputSize
        layers.forward(batch.input, batchSize: B, initialState: batch.initialState, noise: nil)  // the embedding too; no dropout
        let T = rnn.steps, rows = T * B
        precondition(horizon >= 0 && horizon < T, "horizon \(horizon) must be in 0..<\(T) (the chunk's steps)")
        precondition(maxSteps >= 1, "maxSteps must be positive")
        let candidates = Array(horizon..<T)
        let steps =
            candidates.count <= maxSteps
            ? candidates
            : (0..<maxSteps).map { candidates[$0 * (candidates.count - 1) / max(maxSteps - 1, 1)] }
        let logits = [Float](unsafeUninitializedCapacity: rows * V) { buffer, count in
            rnn.withOutputs { h in fc.forward(h.baseAddress!, rows: rows, into: buffer.baseAddress!) }
            count = rows * V
        }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: horizon + 1), count: L)
        var counted = 0
        var targets = [Int32](repeating: SoftmaxCrossEntropy.ignored, count: rows)
        var gradient = [Float](repeating: 0, count: rows * V)
        var currentStep = 0, live: [Bool] = []
        rnn.stateGradientObserver = { layer, s, block in
            let k = currentStep - s
            guard k >= 0 && k <= horizon else { return }
            for b in 0..<B where live[b] {
                var sq = 0.0
                for j in 0..<H { let g = Double(block[b * H + j]); sq += g * g }
                sums[layer][k] += sq.squareRoot()
            }
        }
        defer { rnn.stateGradientObserver = nil; parameters.zeroGradients() }
        for t in steps {
            for r in 0..<rows { targets[r] = SoftmaxCrossEntropy.ignored }
            for b in 0..<B { targets[t * B + b] = batch.targets[t * B + b] }
            live = (0..<B).map { targets[t * B + $0] >= 0 }
            let n = live.filter { $0 }.count
            guard n > 0 else { continue }
            // d(Σ_b L_{t,b})/d(logits): the mean's gradient times the count.
            logits.withUnsafeBufferPointer { z in
                targets.withUnsafeBufferPointer { y in
                    gradient.withUnsafeMutableBufferPointer { g in
                        SoftmaxCrossEntropy.compute(
                            logits: z.baseAddress!, rows: rows, classes: V, targets: y.baseAddress!,
                            gradient: g.baseAddress!)
                        let scale = Float(n)
                        for i in t * B * V..<(t + 1) * B * V { g[i] *= scale }  // the other rows are zero
                    }
                }
            }
            for direction in rnn.workspace.directions { direction.outputGradient.zero() }
            gradient.withUnsafeBufferPointer { g in
                rnn.withOutputs { h in
                    rnn.withOutputGradient { dh in
                        fc.backward(g.baseAddress!, input: h.baseAddress!, rows: rows, inputGradient: dh.baseAddress!)
                    }
                }
            }
            currentStep = t
            rnn.backward()
            counted += n
        }
        let norms = sums.map { row in row.map { counted > 0 ? $0 / Double(counted) : 0 } }
        return GradientFlow(norms: norms, steps: steps)
    }
}
