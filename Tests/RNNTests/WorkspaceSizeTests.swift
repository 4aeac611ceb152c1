import Linalg
import RNN
import Testing

/// The stack's memory estimate is what it allocates: after a training step (forward,
/// backward) the floats every buffer holds equal `trainingWorkspaceFloats` — for every
/// cell, one or two directions, 1–3 layers, token or dense input, with and without
/// dropout, and a single step (which prepares `W_ihᵀ`); in fp32 and, where the CPU has
/// bf16 hardware, in bf16 (with the activations' bits it rounds once).
struct WorkspaceSizeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: RecurrentCell
        let bidirectional: Bool
        let layers: Int
        let tokens: Bool
        let dropout: Bool
        let steps: Int
        var testDescription: String {
            "\(cell) \(bidirectional ? "bidirectional " : "")\(layers) layer(s) \(tokens ? "tokens" : "dense")"
                + (dropout ? " dropout" : "") + " T \(steps)"
        }
    }

    static let cases: [Case] = RecurrentCell.allCases.flatMap { cell in
        [false, true].flatMap { bidirectional in
            [1, 2, 3].flatMap { layers in
                [true, false].map { tokens in
                    Case(
                        cell: cell, bidirectional: bidirectional, layers: layers, tokens: tokens, dropout: layers > 1 && !tokens,
                        steps: layers == 3 ? 1 : 5)
                }
            }
        }
    }

    static let precisions: [Precision] = BF16Support.current.isAvailable ? [.fp32, .bf16] : [.fp32]

    @Test(arguments: cases, precisions)
    func theEstimateIsWhatTheStackHolds(_ c: Case, precision: Precision) throws {
        var rng = SeededRandom(seed: 2)
        let (I, H, B) = (7, 6, 3)
        let configuration = RecurrentConfiguration(cell: c.cell, hiddenSize: H, numLayers: c.layers, bidirectional: c.bidirectional)
        let store = ParameterStore()
        let rnn = configuration.makeStack(inputSize: I, parameters: store, prefix: "rnn.")
        rnn.initialize(using: &rng)
        try rnn.setPrecision(precision)
        let T = c.steps
        let input: SequenceInput =
            c.tokens
            ? .tokens((0..<(T * B)).map { _ in Int32(rng.index(below: I)) })
            : .dense(Matrix.random(T * B, I, using: &rng))
        #expect(rnn.heldFloats == 0)
        rnn.forward(input, batchSize: B, dropout: c.dropout ? DropoutNoise(rate: 0.3, seed: 1, step: 0) : nil, lengths: [T, 1, T])
        rnn.withOutputGradient { g in for i in 0..<g.count { g[i] = 1 } }
        rnn.backward(finalStateGradient: [Float](repeating: 0.5, count: rnn.stateSize(batchSize: B)))
        let estimate = configuration.trainingWorkspaceFloats(
            inputSize: I, tokenInput: c.tokens, steps: T, batchSize: B,
            dropout: c.dropout, precision: precision)
        #expect(rnn.heldFloats == estimate, "held \(rnn.heldFloats), estimated \(estimate)")
        // A second step of the same shape allocates nothing more.
        rnn.forward(input, batchSize: B, dropout: c.dropout ? DropoutNoise(rate: 0.3, seed: 1, step: 1) : nil, lengths: [T, 1, T])
        rnn.backward()
        #expect(rnn.heldFloats == estimate)
    }
}
