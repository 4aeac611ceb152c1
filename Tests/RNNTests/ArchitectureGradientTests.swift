import Linalg
import RNN
import Testing
import ToolTesting

/// Finite-difference checks of every parameter of each architecture, 2-layer stacks,
/// through its real loss (softmax cross-entropy). See `GradientCheck` for the tolerance.
struct ArchitectureGradientTests {
    static let kinds: [(RecurrentCell, Nonlinearity)] = [(.rnn, .tanh), (.rnn, .relu), (.gru, .tanh), (.lstm, .tanh)]

    @Test(.precision(.fp32), arguments: kinds)
    func manyToManyWithCrossEntropyAndCarriedState(_ cell: RecurrentCell, _ nonlinearity: Nonlinearity) {
        var rng = SeededRandom(seed: 23)
        let (V, H, B, T) = (6, 5, 2, 4)
        let model = ManyToManyModel(
            inputSize: V, hiddenSize: H, outputSize: V, numLayers: 2,
            cell: cell, nonlinearity: nonlinearity, using: &rng)
        let inputs = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        var targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        targets[3] = SoftmaxCrossEntropy.ignored  // a masked position
        let h0 = (0..<model.rnn.stateSize(batchSize: B)).map { _ in rng.uniform(-0.5, 0.5) }
        model.computeGradients(.tokens(inputs), targets: targets, batchSize: B, initialState: h0)
        let check = GradientCheck(eps: cell == .rnn && nonlinearity == .relu ? 1e-3 : 1e-2)
        let bad = check.checkParameters(model.parameters) {
            model.loss(.tokens(inputs), targets: targets, batchSize: B, initialState: h0)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test(.precision(.fp32), arguments: RecurrentCell.allCases, [false, true])
    func manyToOneWithPadding(_ cell: RecurrentCell, dense: Bool) {
        var rng = SeededRandom(seed: 31)
        let (I, H, O, B, T) = (4, 5, 3, 3, 5)
        let model = ManyToOneModel(inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, cell: cell, using: &rng)
        let lengths = [5, 2, 3]
        let x = Matrix.random(T * B, I, using: &rng)
        let tokens = (0..<(T * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: I)) : -1 }
        let input: SequenceInput = dense ? .dense(x) : .tokens(tokens)
        let labels: [Int32] = [2, 0, 1]
        model.computeGradients(input, labels: labels, batchSize: B, lengths: lengths)
        let bad = GradientCheck().checkParameters(model.parameters) {
            let y = model.forward(input, batchSize: B, lengths: lengths)
            return Double(SoftmaxCrossEntropy.compute(logits: y, targets: labels).loss)
        }
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test(.precision(.fp32), arguments: RecurrentCell.allCases)
    func oneToManyThroughTheInitialStateLayer(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 37)
        let (F, V, H, B, T) = (3, 5, 4, 2, 4)
        let model = OneToManyModel(
            featureSize: F, vocabularySize: V, hiddenSize: H, numLayers: 2, cell: cell,
            startToken: 4, using: &rng)
        let x = Matrix.random(B, F, using: &rng)
        var targets = (0..<(T * B)).map { _ in Int32(rng.index(below: 4)) }
        targets[T * B - 1] = -1  // the second sequence is one shorter
        model.computeGradients(features: x, targets: targets)
        let bad = GradientCheck().checkParameters(model.parameters) {
            model.loss(OneToManyModel.Batch(features: x, targets: targets))
        }
        #expect(model.parameters.gradient("init.weight").contains { $0 != 0 })
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }

    @Test(.precision(.fp32), arguments: RecurrentCell.allCases)
    func encoderDecoderWithVariableLengths(_ cell: RecurrentCell) {
        var rng = SeededRandom(seed: 41)
        let (Vs, Vt, H, B, Ts, Tt) = (5, 6, 4, 2, 4, 3)
        let model = EncoderDecoderModel(
            sourceVocabularySize: Vs, targetVocabularySize: Vt, hiddenSize: H, numLayers: 2,
            cell: cell, startToken: 4, endToken: 5, using: &rng)
        let lengths = [4, 2]
        let source = (0..<(Ts * B)).map { r in r / B < lengths[r % B] ? Int32(rng.index(below: Vs)) : -1 }
        let targets: [Int32] = [1, 3, 2, 5, 5, -1]  // [Tt*B]: lengths 3 and 2 (with the end token)
        #expect(targets.count == Tt * B)
        model.computeGradients(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
        let bad = GradientCheck().checkParameters(model.parameters) {
            model.loss(source: source, sourceLengths: lengths, targets: targets, batchSize: B)
        }
        #expect(model.parameters.gradient("encoder.weight_ih_l0").contains { $0 != 0 })
        #expect(bad.isEmpty, "\(bad.count) mismatches, first: \(bad.prefix(5))")
    }
}
