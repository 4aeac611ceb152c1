import Foundation
import Linalg
import RNN
import Testing
import ToolTesting

/// Dropout (`DropoutNoise`, the models' three sites), embedding input and tied weights:
/// finite-difference gradients with the masks held fixed, the drop rate, and evaluation
/// without dropout.
struct DropoutTests {
    /// The character-model variants: one-hot input, an embedding, an embedding tied to the output layer.
    enum Input: String, CaseIterable, CustomTestStringConvertible {
        case oneHot, embedding, tied
        var testDescription: String { rawValue }
    }

    static func model(
        _ cell: RecurrentCell, _ input: Input, dropout: Float, layers: Int = 2,
        seed: UInt64 = 23
    ) -> ManyToManyModel {
        var rng = SeededRandom(seed: seed)
        let H = 5
        let configuration = ManyToManyModel.Configuration(
            inputSize: 6, outputSize: 6, recurrent: RecurrentConfiguration(cell: cell, hiddenSize: H, numLayers: layers),
            embeddingSize: input == .oneHot ? 0 : H, tiedWeights: input == .tied, dropout: dropout, dropoutSeed: 99)
        return ManyToManyModel(configuration, using: &rng)
    }

    @Test(.precision(.fp32), arguments: RecurrentCell.allCases, Input.allCases)
    func gradientsThroughFixedMasks(_ cell: RecurrentCell, _ input: Input) {
        let model = Self.model(cell, input, dropout: 0.3)
        var rng = SeededRandom(seed: 5)
        let (B, T, V) = (2, 4, 6)
        let inputs = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        var targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        targets[3] = SoftmaxCrossEntropy.ignored
        let h0 = (0..<model.rnn.stateSize(batchSize: B)).map { _ in rng.uniform(-0.5, 0.5) }
        let batch = ManyToManyModel.Batch(input: .tokens(inputs), targets: targets, batchSize: B, initialState: h0)
        model.trainingStep = 7
        model.computeGradients(batch)
        #expect(model.trainingStep == 8)
        // The training loss of step 7 again (the same masks) for every perturbation.
        let bad = GradientCheck().checkParameters(model.parameters) {
            model.trainingStep = 7
            return model.computeGradients(batch)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
        if input != .oneHot { #expect(model.parameters.gradient("embedding.weight").contains { $0 != 0 }) }
        #expect((model.parameters.slot(named: "fc.weight") == nil) == (input == .tied))
        // Dropout is on: the training loss differs from the evaluation loss.
        #expect(model.computeGradients(batch) != model.loss(batch))
    }

    @Test(.precision(.fp32), arguments: [false, true])
    func manyToOneGradientsWithEmbeddingAndDropout(tied: Bool) {
        var rng = SeededRandom(seed: 31)
        let (V, H, B, T) = (4, 5, 3, 5)
        let model = ManyToOneModel(
            .init(
                inputSize: V, outputSize: tied ? V : 3,
                recurrent: .init(cell: .lstm, hiddenSize: H, numLayers: 2),
                embeddingSize: H, tiedWeights: tied, dropout: 0.4, dropoutSeed: 3), using: &rng)
        let lengths = [5, 2, 3]
        let tokens = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: V)) : -1 }
        let batch = ManyToOneModel.Batch(input: .tokens(tokens), labels: [2, 0, 1], batchSize: B, lengths: lengths)
        model.computeGradients(batch)
        let bad = GradientCheck().checkParameters(model.parameters) {
            model.trainingStep = 0
            return model.computeGradients(batch)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test func dropRateAndScale() {
        for p: Float in [0.1, 0.3, 0.5, 0.9] {
            let n = 1_000_000, width = 250
            let mask = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { mask.deallocate() }
            DropoutNoise(rate: p, seed: 1, step: 3).fillMask(site: 2, steps: 40, batchSize: n / 40 / width, width: width, into: mask)
            var dropped = 0
            for i in 0..<n {
                if mask[i] == 0 { dropped += 1 } else { #expect(mask[i] == 1 / (1 - p)) }
            }
            let rate = Double(dropped) / Double(n)
            #expect(abs(rate - Double(p)) <= 0.01 * Double(p), "p = \(p): dropped \(rate) of \(n)")
        }
    }

    /// The masks of a slice of the batch (a worker's, a rank's) are the whole batch's rows.
    @Test func masksFollowWholeBatchSequences() {
        let (T, B, W) = (3, 5, 7)
        func mask(_ noise: DropoutNoise, batchSize: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: T * batchSize * W) { buffer, n in
                noise.fillMask(site: 1, steps: T, batchSize: batchSize, width: W, into: buffer.baseAddress!)
                n = T * batchSize * W
            }
        }
        let whole = mask(DropoutNoise(rate: 0.5, seed: 4, step: 2), batchSize: B)
        let slice = mask(DropoutNoise(rate: 0.5, seed: 4, step: 2, firstSequence: 2), batchSize: 3)
        for t in 0..<T {
            for b in 0..<3 {
                #expect(
                    Array(slice[((t * 3 + b) * W)..<((t * 3 + b + 1) * W)]) == Array(whole[((t * B + b + 2) * W)..<((t * B + b + 3) * W)]))
            }
        }
        // Another step, site or seed draws other masks.
        #expect(mask(DropoutNoise(rate: 0.5, seed: 4, step: 3), batchSize: B) != whole)
        #expect(mask(DropoutNoise(rate: 0.5, seed: 5, step: 2), batchSize: B) != whole)
    }

    /// A rate of 0 is no dropout, bit for bit; evaluation never drops.
    @Test(arguments: [Input.oneHot, .embedding])
    func zeroRateAndEvaluation(_ input: Input) {
        let plain = Self.model(.lstm, input, dropout: 0)
        let dropped = Self.model(.lstm, input, dropout: 0.5)
        #expect(plain.parameters.values == dropped.parameters.values)
        var rng = SeededRandom(seed: 8)
        let (B, T) = (3, 5)
        let batch = ManyToManyModel.Batch(
            input: .tokens((0..<(T * B)).map { _ in Int32(rng.index(below: 6)) }),
            targets: (0..<(T * B)).map { _ in Int32(rng.index(below: 6)) }, batchSize: B)
        let noDropout = Self.model(.lstm, input, dropout: 0)
        // The dropout-0 model with no noise at all: equal losses and gradients, every step.
        for step in 0..<3 {
            plain.trainingStep = step
            let a = plain.computeGradients(batch), b = noDropout.computeGradients(batch)
            #expect(a == b)
            #expect(plain.parameters.gradients == noDropout.parameters.gradients)
        }
        // Evaluation (loss, forward, sampling) is the same with dropout 0.5 as without.
        #expect(dropped.loss(batch) == plain.loss(batch))
        #expect(dropped.forward(batch.input, batchSize: B).storage == plain.forward(batch.input, batchSize: B).storage)
        #expect(dropped.greedyContinuation(of: [1, 2], count: 10) == plain.greedyContinuation(of: [1, 2], count: 10))
        #expect(dropped.computeGradients(batch) != dropped.loss(batch))
    }

    /// The configuration round-trips through metadata; bad values are named.
    @Test func configurationRoundTripAndProblems() throws {
        let c = ManyToManyModel.Configuration(
            inputSize: 9, outputSize: 9, recurrent: .init(cell: .gru, hiddenSize: 8),
            embeddingSize: 8, tiedWeights: true, dropout: 0.25, dropoutSeed: 12)
        #expect(try JSONDecoder().decode(ManyToManyModel.Configuration.self, from: JSONEncoder().encode(c)) == c)
        #expect(c.problem == nil)
        #expect(c.parameterShapes.map(\.name).first == "embedding.weight")
        #expect(!c.parameterShapes.map(\.name).contains("fc.weight"))
        var m = c
        m.embeddingSize = 7
        #expect(m.problem?.contains("tied weights need the embedding size (7) to equal the hidden size (8)") == true)
        m = c
        m.dropout = 1
        #expect(m.problem == "dropout 1.0 is outside [0, 1)")
        #expect(ManyToManyModel.Configuration.tyingProblem(inputSize: 9, outputSize: 9, embeddingSize: 4, hiddenSize: 8) != nil)
    }
}
