import Linalg
import RNN
import Testing
import ToolTesting

/// Bidirectional stacks (`bidirectional: true`): finite-difference gradients of every cell
/// at 1–3 layers over padded batches, a padded batch against each sequence alone, the
/// parameter layout and state order of PyTorch, and the models built on them.
struct BidirectionalTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let cell: RecurrentCell
        let nonlinearity: Nonlinearity
        let layers: Int
        let dense: Bool
        let initialState: Bool
        let dropout: Bool
        var testDescription: String {
            "\(cell)\(cell == .rnn ? "-\(nonlinearity)" : "") \(layers) layer\(layers > 1 ? "s" : "") \(dense ? "dense" : "token")"
                + (initialState ? " with initial state" : "") + (dropout ? " with dropout" : "")
        }
    }

    static let kinds: [(RecurrentCell, Nonlinearity)] = [(.rnn, .tanh), (.rnn, .relu), (.gru, .tanh), (.lstm, .tanh)]
    static let cases: [Case] = kinds.flatMap { kind in
        [1, 2, 3].flatMap { layers in
            [false, true].map { dense in
                Case(
                    cell: kind.0, nonlinearity: kind.1, layers: layers, dense: dense, initialState: layers != 2,
                    dropout: layers >= 2 && dense)
            }
        }
    }

    /// The stack under `L = Σ C ⊙ outputs + Σ D ⊙ finalState(lengths)` over a batch whose
    /// sequences are shorter than `T` (padding after them): every parameter, the initial
    /// state and the dense input against central differences.
    @Test(.precision(.fp32), arguments: cases)
    func everyGradientMatchesFiniteDifferences(_ c: Case) {
        var rng = SeededRandom(seed: 19)
        let (I, H, B, T) = (3, 4, 3, 5)
        let lengths = [5, 2, 4]
        let store = ParameterStore()
        let rnn = RecurrentStack.make(
            c.cell, inputSize: I, hiddenSize: H, numLayers: c.layers, nonlinearity: c.nonlinearity,
            bidirectional: true, parameters: store)
        #expect(rnn.directions == 2 && rnn.outputWidth == 2 * H)
        let S = rnn.stateSize(batchSize: B)
        #expect(S == c.cell.stateParts * c.layers * 2 * B * H)
        rnn.initialize(using: &rng)
        // Larger weights exercise the saturating nonlinearities; ReLU's grow unbounded
        // through 3 layers and 2 directions, and a perturbation would cross its kink.
        if c.nonlinearity != .relu { for i in 0..<store.count { store.values[i] *= 2 } }
        var dense = Matrix.random(T * B, I, using: &rng)
        let tokens = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: I)) : -1 }
        var h0: [Float]? = c.initialState ? (0..<S).map { _ in rng.uniform(-0.8, 0.8) } : nil
        let C = (0..<(T * B * 2 * H)).map { _ in rng.uniform(-1, 1) }
        let D = (0..<S).map { _ in rng.uniform(-1, 1) }
        let noise = c.dropout ? DropoutNoise(rate: 0.3, seed: 7, step: 2) : nil

        func loss() -> Double {
            rnn.forward(
                c.dense ? .dense(dense) : .tokens(tokens), batchSize: B, initialState: h0, dropout: noise,
                lengths: lengths)
            let out = rnn.outputs.storage, fin = rnn.finalState(lengths: lengths)
            return zip(out, C).reduce(0.0) { $0 + Double($1.0 * $1.1) } + zip(fin, D).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        }
        store.zeroGradients()
        _ = loss()
        rnn.withOutputGradient { g in for i in 0..<g.count { g[i] = C[i] } }
        rnn.backward(finalStateGradient: D, lengths: lengths)
        let dInit = rnn.initialStateGradient
        let dInput = c.dense ? rnn.inputGradient.storage : []
        #expect(store.gradient("rnn.weight_hh_l0_reverse").contains { $0 != 0 })

        let relu = c.cell == .rnn && c.nonlinearity == .relu
        let check = GradientCheck(eps: relu ? 1e-3 : 1e-2, kinks: relu)
        var bad = check.checkParameters(store, loss: loss)
        if c.initialState {
            bad += check.check(name: "h0", count: S, analytic: dInit, get: { h0![$0] }, set: { h0![$0] = $1 }, loss: loss)
        }
        if c.dense {
            bad += check.check(
                name: "input", count: T * B * I, analytic: dInput,
                get: { dense.storage[$0] }, set: { dense.storage[$0] = $1 }, loss: loss)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    /// A padded batch gives each sequence's outputs, final states and (summed) gradients
    /// as that sequence run alone: the reverse direction starts at each sequence's own
    /// last step, and nothing of the padding reaches a sequence.
    @Test(arguments: RecurrentCell.allCases)
    func aPaddedBatchEqualsEachSequenceAlone(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 5)
        let (I, H, L, B, T) = (4, 6, 2, 3, 6)
        let lengths = [6, 3, 1]
        let store = ParameterStore()
        let rnn = RecurrentStack.make(cell, inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true, parameters: store)
        rnn.initialize(using: &rng)
        let x = Matrix.random(T * B, I, using: &rng)
        let C = (0..<(T * B * 2 * H)).map { _ in rng.uniform(-1, 1) }
        // d(loss)/d(outputs): C on each sequence's own steps, nothing on its padding.
        func outputGradient(_ g: UnsafeMutableBufferPointer<Float>, rows: [(batchRow: Int, row: Int)]) {
            for (r, whole) in rows { for j in 0..<(2 * H) { g[r * 2 * H + j] = C[whole * 2 * H + j] } }
        }

        store.zeroGradients()
        rnn.forward(.dense(x), batchSize: B, lengths: lengths)
        let batchOutputs = rnn.outputs.storage, batchFinal = rnn.finalState()
        rnn.withOutputGradient { g in
            outputGradient(g, rows: (0..<B).flatMap { b in (0..<lengths[b]).map { t in (t * B + b, t * B + b) } })
        }
        rnn.backward()
        let batchGradients = store.gradients, batchInputGradient = rnn.inputGradient.storage

        var summed = [Float](repeating: 0, count: store.count)
        for b in 0..<B {
            let n = lengths[b]
            var alone = Matrix(rows: n, cols: I)
            for t in 0..<n { for i in 0..<I { alone.storage[t * I + i] = x.storage[(t * B + b) * I + i] } }
            store.zeroGradients()
            rnn.forward(.dense(alone), batchSize: 1)
            let out = rnn.outputs.storage, final = rnn.finalState()
            for t in 0..<n {
                for j in 0..<(2 * H) {
                    #expect(abs(out[t * 2 * H + j] - batchOutputs[(t * B + b) * 2 * H + j]) <= 1e-6, "output t \(t) b \(b)")
                }
            }
            for block in 0..<(cell.stateParts * L * 2) {
                for j in 0..<H {
                    #expect(abs(final[block * H + j] - batchFinal[(block * B + b) * H + j]) <= 1e-6, "final state block \(block) b \(b)")
                }
            }
            rnn.withOutputGradient { g in outputGradient(g, rows: (0..<n).map { t in (t, t * B + b) }) }
            rnn.backward()
            for i in 0..<store.count { summed[i] += store.gradients[i] }
            let dx = rnn.inputGradient.storage
            for t in 0..<n {
                for i in 0..<I {
                    #expect(abs(dx[t * I + i] - batchInputGradient[(t * B + b) * I + i]) <= 1e-5, "input gradient t \(t) b \(b)")
                }
            }
        }
        let worst = zip(summed, batchGradients).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(worst <= 1e-5, "parameter gradients differ by up to \(worst)")
    }

    /// PyTorch's names, shapes and order (`weight_ih_l{k}_reverse` after layer `k`'s
    /// forward tensors; layer `k > 0` reads 2H), and `h_n`'s order: block `layer·2 +
    /// direction`, the reverse direction's being its state after each sequence's first step.
    @Test func layoutAndStateOrderArePyTorchs() throws {
        var rng = SeededRandom(seed: 3)
        let configuration = RecurrentConfiguration(cell: .lstm, hiddenSize: 3, numLayers: 2, bidirectional: true)
        let names = configuration.parameterShapes(inputSize: 5, prefix: "rnn.").map { "\($0.name) \($0.shape)" }
        #expect(
            names == [
                "rnn.weight_ih_l0 [12, 5]", "rnn.weight_hh_l0 [12, 3]", "rnn.bias_ih_l0 [12]", "rnn.bias_hh_l0 [12]",
                "rnn.weight_ih_l0_reverse [12, 5]", "rnn.weight_hh_l0_reverse [12, 3]", "rnn.bias_ih_l0_reverse [12]",
                "rnn.bias_hh_l0_reverse [12]",
                "rnn.weight_ih_l1 [12, 6]", "rnn.weight_hh_l1 [12, 3]", "rnn.bias_ih_l1 [12]", "rnn.bias_hh_l1 [12]",
                "rnn.weight_ih_l1_reverse [12, 6]", "rnn.weight_hh_l1_reverse [12, 3]", "rnn.bias_ih_l1_reverse [12]",
                "rnn.bias_hh_l1_reverse [12]",
            ])
        #expect(configuration.stateBlocks == 8 && configuration.outputWidth == 6)
        #expect(try RecurrentConfiguration(metadata: configuration.metadata) == configuration)
        #expect(configuration.metadata["bidirectional"] == "true")
        #expect(RecurrentConfiguration(hiddenSize: 3).metadata["bidirectional"] == nil)

        // The top layer's final states are its outputs at each direction's last step.
        let store = ParameterStore()
        let rnn = configuration.makeStack(inputSize: 5, parameters: store, prefix: "rnn.")
        rnn.initialize(using: &rng)
        let (B, T, H) = (2, 4, 3)
        let lengths = [4, 2]
        rnn.forward(.dense(Matrix.random(T * B, 5, using: &rng)), batchSize: B, lengths: lengths)
        let out = rnn.outputs.storage, h = rnn.finalState()
        for b in 0..<B {
            for d in 0..<2 {
                let row = rnn.finalOutputRow(direction: d, sequence: b, length: lengths[b])
                let block = 1 * 2 + d  // layer 1, direction d
                let output = Array(out[(row * 2 * H + d * H)...].prefix(H)), state = Array(h[((block * B + b) * H)...].prefix(H))
                #expect(output == state)
            }
        }
        #expect(rnn.finalOutputRow(direction: 1, sequence: 1, length: 2) == 1)  // step 0 of sequence 1
    }

    /// An encoder-decoder whose encoder is bidirectional: every parameter (the bridge's
    /// too) against finite differences through the real loss, over sources of uneven length.
    @Test(.precision(.fp32), arguments: RecurrentCell.allCases)
    func encoderDecoderWithABidirectionalEncoder(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 47)
        let (Vs, Vt, H, B, Ts) = (5, 6, 4, 2, 4)
        let model = EncoderDecoderModel(
            .init(
                sourceVocabularySize: Vs, targetVocabularySize: Vt, startToken: 4, endToken: 5,
                recurrent: .init(cell: cell, hiddenSize: H, numLayers: 2), bidirectionalEncoder: true),
            using: &rng)
        #expect(model.encoder.isBidirectional && !model.decoder.isBidirectional)
        #expect(model.parameters.slot(named: "bridge.weight")?.shape == [H, 2 * H])
        #expect((model.parameters.slot(named: "bridge_cell.weight") != nil) == (cell == .lstm))
        #expect(model.parameters.slots.map(\.name) == model.configuration.parameterShapes.map(\.name))
        let lengths = [4, 2]
        let source = (0..<(Ts * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: Vs)) : -1 }
        let targets: [Int32] = [1, 3, 2, 5, 5, -1]
        model.computeGradients(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
        #expect(model.parameters.gradient("encoder.weight_hh_l1_reverse").contains { $0 != 0 })
        #expect(model.parameters.gradient("bridge.weight").contains { $0 != 0 })
        let bad = GradientCheck().checkParameters(model.parameters) {
            model.loss(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
        // Greedy decoding goes through the bridge too (a batch of one, the same source).
        #expect(model.translate([1, 2, 3], maxLength: 4).count <= 4)
    }

    /// A bidirectional tagger's evaluation on a team of threads (one sequence split by
    /// units, a batch of 64 split by sequences) equals one thread's within rounding.
    @Test(arguments: RecurrentCell.allCases)
    func aTeamSplitsBothDirections(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 13)
        let model = ManyToManyModel(
            .init(
                inputSize: 9, outputSize: 9,
                recurrent: .init(cell: cell, hiddenSize: 40, numLayers: 2, bidirectional: true),
                embeddingSize: 12), using: &rng)
        let team = WorkerTeam(size: 2)
        for (B, T) in [(1, 7), (64, 3)] {
            let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: 9)) }
            let lengths = (0..<B).map { _ in 1 + rng.index(below: T) }
            let alone = model.forward(.tokens(tokens), batchSize: B, lengths: lengths).storage + model.rnn.finalState()
            model.team = team
            let split = model.forward(.tokens(tokens), batchSize: B, lengths: lengths).storage + model.rnn.finalState()
            model.team = nil
            let worst = zip(alone, split).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5, "\(cell), B \(B): differs by \(worst)")
        }
    }

    /// A bidirectional classifier (with dropout) and tagger: gradients through their real
    /// losses.
    @Test(.precision(.fp32), arguments: RecurrentCell.allCases)
    func classifierAndTaggerGradients(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 43)
        let (I, H, O, B, T) = (4, 4, 3, 3, 5)
        let lengths = [5, 2, 3]
        let recurrent = RecurrentConfiguration(cell: cell, hiddenSize: H, numLayers: 2, bidirectional: true)
        let classifier = ManyToOneModel(
            .init(inputSize: I, outputSize: O, recurrent: recurrent, dropout: 0.2, dropoutSeed: 1),
            using: &rng)
        #expect(classifier.parameters.slot(named: "fc.weight")?.shape == [O, 2 * H])
        let tokens = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: I)) : -1 }
        let labels: [Int32] = [2, 0, 1]
        let batch = ManyToOneModel.Batch(input: .tokens(tokens), labels: labels, batchSize: B, lengths: lengths)
        // Dropout draws the same masks for the same step: every loss at step 4 (the
        // analytic gradients are taken before the check perturbs anything).
        classifier.trainingStep = 4
        classifier.computeGradients(batch)
        var bad = GradientCheck().checkParameters(classifier.parameters) {
            classifier.trainingStep = 4
            return classifier.computeGradients(batch)
        }
        #expect(bad.isEmpty, "classifier: \(bad.count) mismatches, first: \(bad.prefix(5))")

        let tagger = ManyToManyModel(.init(inputSize: I, outputSize: O, recurrent: recurrent), using: &rng)
        var targets = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: O)) : -1 }
        targets[0] = -1
        let tagged = ManyToManyModel.Batch(input: .tokens(tokens), targets: targets, batchSize: B, lengths: lengths)
        tagger.computeGradients(tagged)
        bad = GradientCheck().checkParameters(tagger.parameters) { tagger.loss(tagged) }
        #expect(bad.isEmpty, "tagger: \(bad.count) mismatches, first: \(bad.prefix(5))")
    }
}
