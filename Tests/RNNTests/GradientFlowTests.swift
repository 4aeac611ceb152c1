import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// `GradientFlow` against finite differences and against the linear regime's known answer;
/// the weight spectra and gate statistics against their definitions.
struct GradientFlowTests {
    /// ‖∂L_{t,b}/∂h^l_s‖ by central differences: run steps `0...s`, perturb layer `l`'s `h`
    /// at `s` in the carried state, run steps `s+1...t` from it and read sequence `b`'s loss at `t`.
    static func finiteDifferenceNorm(
        _ model: ManyToManyModel, tokens: [Int32], targets: [Int32], B: Int,
        t: Int, s: Int, layer: Int, b: Int, eps: Float = 1e-2
    ) -> Double {
        let H = model.rnn.hiddenSize
        _ = model.forward(.tokens(Array(tokens[0..<((s + 1) * B)])), batchSize: B)
        let state = model.rnn.finalState()
        let rest = Array(tokens[((s + 1) * B)..<((t + 1) * B)])
        var only = [Int32](repeating: -1, count: rest.count)
        only[(t - s - 1) * B + b] = targets[t * B + b]
        var sq = 0.0
        for j in 0..<H {
            var plus = state, minus = state
            plus[(layer * B + b) * H + j] += eps  // part 0 (h), layer, sequence b
            minus[(layer * B + b) * H + j] -= eps
            let d =
                (model.loss(.tokens(rest), targets: only, batchSize: B, initialState: plus)
                    - model.loss(.tokens(rest), targets: only, batchSize: B, initialState: minus)) / Double(2 * eps)
            sq += d * d
        }
        return sq.squareRoot()
    }

    /// The top layer's norms (of a 1- and a 2-layer stack) against finite differences. (A
    /// lower layer's ∂L/∂h also runs through the layer above at the same step, which a
    /// perturbation of the carried state cannot reach; its recurrence is the same code.)
    @Test(.precision(.fp32), arguments: [RecurrentCell.rnn, .gru, .lstm], [1, 2])
    func matchesFiniteDifferences(_ cell: RecurrentCell, layers: Int) {
        var rng = SeededRandom(seed: 91)
        let (V, H, B, T, K) = (5, 4, 2, 5, 3)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: layers, cell: cell, using: &rng)
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let flow = model.gradientFlow(.init(input: .tokens(tokens), targets: targets, batchSize: B), horizon: K)
        #expect(flow.steps == [3, 4] && flow.horizon == K)
        #expect(model.parameters.gradients.allSatisfy { $0 == 0 })
        #expect(flow.norms.count == layers)
        do {
            let layer = layers - 1
            for k in 1...K {
                var mean = 0.0
                for t in flow.steps {
                    for b in 0..<B {
                        mean += Self.finiteDifferenceNorm(model, tokens: tokens, targets: targets, B: B, t: t, s: t - k, layer: layer, b: b)
                    }
                }
                mean /= Double(flow.steps.count * B)
                let measured = flow.norms[layer][k]
                #expect(abs(measured - mean) <= 0.02 * mean + 1e-6, "\(cell) layer \(layer) k \(k): \(measured) vs \(mean)")
            }
        }
    }

    /// A vanilla tanh RNN whose `W_hh = c·Q` (Q orthogonal) with tiny inputs stays in the
    /// near-linear regime, where each step back multiplies the gradient's norm by `c`
    /// exactly: `c < 1` decays as cᵏ, `c > 1` grows; with large inputs tanh saturates and
    /// the growth stops.
    @Test(arguments: [(Float(0.8), Float(1e-3)), (1.25, 1e-3), (3, 2)])
    func orthogonalRecurrenceScalesByC(_ c: Float, _ inputScale: Float) throws {
        var rng = SeededRandom(seed: 92)
        let (V, H, B, T) = (8, 16, 4, 24)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, using: &rng)
        let q = Matrix.orthogonal(H, using: &rng)
        model.parameters.setTensor("rnn.weight_hh_l0", (c * q).storage)
        model.parameters.setTensor("rnn.weight_ih_l0", (0..<(H * V)).map { _ in inputScale * rng.uniform(-1, 1) })
        model.parameters.setTensor("rnn.bias_ih_l0", [Float](repeating: 0, count: H))
        model.parameters.setTensor("rnn.bias_hh_l0", [Float](repeating: 0, count: H))
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let flow = model.gradientFlow(.init(input: .tokens(tokens), targets: targets, batchSize: B), horizon: 12)
        let growth = flow.growthPerStep(layer: 0, over: 0...12)
        if inputScale < 0.01 {
            #expect(abs(growth - Double(c)) <= 0.01 * Double(c), "c \(c): growth \(growth) per step")
            #expect((flow.decayHorizon(layer: 0) != nil) == (c < 1 && Foundation.pow(Double(c), 12) < 0.01))
        } else {
            #expect(growth < Double(c) / 2, "c \(c) saturated: growth \(growth) per step")
        }
        // W_hh's spectrum: every singular value and the radius are c.
        let spectrum = try #require(try model.rnn.recurrentWeightSpectra().first)
        #expect(spectrum.gate == "h" && spectrum.singularValues.count == H)
        #expect(spectrum.singularValues.allSatisfy { abs($0 - c) < 1e-4 * c } && abs(spectrum.spectralRadius - c) < 1e-4 * c)
    }

    @Test func gateStatisticsFollowTheActivations() throws {
        var rng = SeededRandom(seed: 93)
        let (V, H, B, T) = (6, 8, 3, 10)
        let model = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2, cell: .lstm, using: &rng)
        model.rnn.initializeCarryGate(bias: 20)  // the forget gate wide open: σ(≥ 20 − |rest|) > 0.95
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        _ = model.forward(.tokens(tokens), batchSize: B)
        let stats = model.rnn.gateStatistics()
        #expect(stats.map(\.gate) == ["i", "f", "g", "o", "i", "f", "g", "o"] && stats.map(\.layer) == [0, 0, 0, 0, 1, 1, 1, 1])
        let forget = stats.filter { $0.gate == "f" }
        #expect(forget.allSatisfy { $0.fractionHigh == 1 && $0.fractionLow == 0 && $0.mean > 0.95 }, "\(forget)")
        for s in stats {
            #expect(s.fractionHigh >= 0 && s.fractionLow >= 0 && s.fractionHigh + s.fractionLow <= 1)
            #expect(s.gate == "g" ? abs(s.mean) <= 1 : (s.mean >= 0 && s.mean <= 1))
        }
        #expect(try model.rnn.recurrentWeightSpectra().map(\.gate) == ["i", "f", "g", "o", "i", "f", "g", "o"])
        let rnn = ManyToManyModel(inputSize: V, hiddenSize: H, outputSize: V, using: &rng)
        _ = rnn.forward(.tokens(tokens), batchSize: B)
        #expect(rnn.rnn.gateStatistics().isEmpty)
    }
}
