import Linalg

/// The spectrum of one `[H, H]` gate block of a layer's recurrent weights `W_hh`: its
/// singular values (how much one step can stretch a state difference, at most) and its
/// spectral radius (how a linear recurrence through it grows or decays in the long run).
public struct RecurrentWeightSpectrum: Sendable, Equatable {
    /// The layer (0 = bottom).
    public let layer: Int
    /// The gate block's name in PyTorch's order: `h` (vanilla), `r`/`z`/`n` (GRU), `i`/`f`/`g`/`o` (LSTM).
    public let gate: String
    /// Descending, `H` of them.
    public let singularValues: [Float]
    public let spectralRadius: Float
}

/// The statistics of one gate's activations over the last forward pass (all steps and
/// sequences): the mean and how often it saturates. A sigmoid gate (`i`, `f`, `o`, `r`,
/// `z`) is saturated open above 0.95 and closed below 0.05; a tanh one (`g`, `n`) above
/// 0.95 or below −0.95.
public struct GateStatistics: Sendable, Equatable {
    public let layer: Int
    public let gate: String
    public let mean: Double
    /// The fraction of activations above 0.95 (sigmoid and tanh gates alike).
    public let fractionHigh: Double
    /// The fraction below 0.05 (a tanh gate: below −0.95).
    public let fractionLow: Double
}

extension RecurrentCell {
    /// The names of the gate blocks in `W_ih`/`W_hh` order.
    public var gateNames: [String] {
        switch self {
        case .rnn: return ["h"]
        case .gru: return ["r", "z", "n"]
        case .lstm: return ["i", "f", "g", "o"]
        }
    }

    /// Whether gate block `index` is a tanh (else a sigmoid).
    func isTanhGate(_ index: Int) -> Bool { (self == .gru && index == 2) || (self == .lstm && index == 2) }
}

extension RecurrentStack {
    /// The spectrum of every gate block of every layer's `W_hh` (LAPACK's SVD and `sgeev`);
    /// in a bidirectional stack `layer` is the layer-direction, `layer·2 + direction`.
    /// - Throws: `LinalgError` when a decomposition fails (or the weights are not finite).
    /// - Complexity: O(L · G · H³).
    public func recurrentWeightSpectra() throws -> [RecurrentWeightSpectrum] {
        let H = hiddenSize
        var out: [RecurrentWeightSpectrum] = []
        for k in 0..<layerDirections {
            let w = parameters.values[weightHH[k].range]
            for (g, name) in cell.gateNames.enumerated() {
                let block = Matrix(rows: H, cols: H, storage: Array(w[(w.startIndex + g * H * H)..<(w.startIndex + (g + 1) * H * H)]))
                out.append(
                    RecurrentWeightSpectrum(
                        layer: k, gate: name, singularValues: try block.singularValues(),
                        spectralRadius: try block.spectralRadius()))
            }
        }
        return out
    }

    /// Each gate's activation statistics over the last `forward` (GRU and LSTM; empty
    /// for the vanilla RNN, which has no gates); in a bidirectional stack per
    /// layer-direction, as `recurrentWeightSpectra`. - Complexity: O(T · B · G · H · L · D).
    public func gateStatistics() -> [GateStatistics] {
        guard cell != .rnn, steps > 0 else { return [] }
        let H = hiddenSize, G = cell.gateCount, rows = steps * batchSize
        var out: [GateStatistics] = []
        for k in 0..<layerDirections {
            let a = workspace.directions[k].gates.pointer
            for g in 0..<G {
                var sum = 0.0, high = 0, low = 0
                let tanh = cell.isTanhGate(g)
                for r in 0..<rows {
                    let row = a + r * G * H + g * H
                    for j in 0..<H {
                        let x = row[j]
                        sum += Double(x)
                        if x > 0.95 { high += 1 }
                        if tanh ? x < -0.95 : x < 0.05 { low += 1 }
                    }
                }
                let n = Double(rows * H)
                out.append(
                    GateStatistics(
                        layer: k, gate: cell.gateNames[g], mean: sum / n,
                        fractionHigh: Double(high) / n, fractionLow: Double(low) / n))
            }
        }
        return out
    }
}
