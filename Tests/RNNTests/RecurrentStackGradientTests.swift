import Linalg
import RNN
import Testing
import ToolTesting

/// Gradient checks of every stack (vanilla tanh/relu, GRU, LSTM) itself under a random linear functional of its outputs
/// and final state, `L = Σ C ⊙ outputs + Σ D ⊙ finalState`, which makes every output and
/// the final state matter.
struct RecurrentStackGradientTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: RecurrentCell
        let nonlinearity: Nonlinearity
        let dense: Bool
        let carriedState: Bool
        var testDescription: String {
            "\(cell)\(cell == .rnn ? "-\(nonlinearity)" : "") \(dense ? "dense" : "token") \(carriedState ? "with" : "without") carried state"
        }
    }

    static let kinds: [(RecurrentCell, Nonlinearity)] = [(.rnn, .tanh), (.rnn, .relu), (.gru, .tanh), (.lstm, .tanh)]
    static let cases: [Case] = kinds.flatMap { kind in
        [false, true].flatMap { dense in
            [false, true].map { Case(cell: kind.0, nonlinearity: kind.1, dense: dense, carriedState: $0) }
        }
    }

    @Test(.precision(.fp32), arguments: cases)
    func everyGradientMatchesFiniteDifferences(_ c: Case) {
        var rng = SeededRandom(seed: 17)
        let (I, H, L, B, T) = (4, 5, 2, 3, 4)
        let store = ParameterStore()
        let rnn = RecurrentStack.make(
            c.cell, inputSize: I, hiddenSize: H, numLayers: L, nonlinearity: c.nonlinearity,
            parameters: store)
        let S = rnn.stateSize(batchSize: B)
        rnn.initialize(using: &rng)
        // Larger weights than the default init so that the nonlinearity is exercised.
        for i in 0..<store.count { store.values[i] *= 2 }
        var dense = Matrix.random(T * B, I, using: &rng)
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: I)) }
        var h0: [Float]? = c.carriedState ? (0..<S).map { _ in rng.uniform(-0.8, 0.8) } : nil
        let C = (0..<(T * B * H)).map { _ in rng.uniform(-1, 1) }
        let D = (0..<S).map { _ in rng.uniform(-1, 1) }

        func loss() -> Double {
            rnn.forward(c.dense ? .dense(dense) : .tokens(tokens), batchSize: B, initialState: h0)
            let out = rnn.outputs.storage, fin = rnn.finalState()
            return zip(out, C).reduce(0.0) { $0 + Double($1.0 * $1.1) } + zip(fin, D).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        }
        store.zeroGradients()
        _ = loss()
        rnn.withOutputGradient { g in for i in 0..<g.count { g[i] = C[i] } }
        rnn.backward(finalStateGradient: D)
        let dInit = rnn.initialStateGradient
        let dInput = c.dense ? rnn.inputGradient.storage : []
        #expect(store.gradients.contains { $0 != 0 })

        // ReLU has kinks: a smaller step keeps perturbed pre-activations from crossing 0.
        let check = GradientCheck(eps: c.cell == .rnn && c.nonlinearity == .relu ? 1e-3 : 1e-2)
        var bad = check.checkParameters(store, loss: loss)
        if c.carriedState {
            bad += check.check(name: "h0", count: S, analytic: dInit, get: { h0![$0] }, set: { h0![$0] = $1 }, loss: loss)
        }
        if c.dense {
            bad += check.check(
                name: "input", count: T * B * I, analytic: dInput,
                get: { dense.storage[$0] }, set: { dense.storage[$0] = $1 }, loss: loss)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test func backwardAccumulatesIntoGradients() {
        var rng = SeededRandom(seed: 4)
        let store = ParameterStore()
        let rnn = ElmanRNN(inputSize: 3, hiddenSize: 4, parameters: store)
        rnn.initialize(using: &rng)
        rnn.forward(.tokens([0, 1, 2, 1]), batchSize: 2)
        rnn.withOutputGradient { g in for i in 0..<g.count { g[i] = 1 } }
        rnn.backward()
        let once = store.gradients
        rnn.forward(.tokens([0, 1, 2, 1]), batchSize: 2)
        rnn.withOutputGradient { g in for i in 0..<g.count { g[i] = 1 } }
        rnn.backward()
        for (a, b) in zip(store.gradients, once) { #expect(abs(a - 2 * b) <= 1e-6 * max(1, abs(a))) }
    }
}
