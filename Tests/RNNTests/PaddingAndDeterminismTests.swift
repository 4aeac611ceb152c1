import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

struct PaddingAndDeterminismTests {
    /// A padded many-to-one batch gives the same outputs and the same gradient as the
    /// sequences run one by one (the batch loss is the mean of the per-sequence losses).
    @Test(.precision(.fp32), arguments: [false, true])
    func paddedBatchEqualsSequencesRunOneByOne(paddingIsGarbage: Bool) {
        var rng = SeededRandom(seed: 61)
        let (V, B, T) = (5, 3, 6)
        let model = ManyToOneModel(inputSize: V, hiddenSize: 7, outputSize: 3, numLayers: 2, using: &rng)
        let lengths = [6, 2, 4]
        let labels: [Int32] = [0, 2, 1]
        let sequences = lengths.map { n in (0..<n).map { _ in Int32(rng.index(below: V)) } }
        var tokens = [Int32](repeating: 0, count: T * B)
        for b in 0..<B {
            for t in 0..<T {
                tokens[t * B + b] = t < lengths[b] ? sequences[b][t] : (paddingIsGarbage ? Int32(rng.index(below: V)) : -1)
            }
        }
        let batched = model.forward(.tokens(tokens), batchSize: B, lengths: lengths)
        model.computeGradients(.tokens(tokens), labels: labels, batchSize: B, lengths: lengths)
        let batchedGradient = model.parameters.gradients
        var meanGradient = [Float](repeating: 0, count: batchedGradient.count)
        for b in 0..<B {
            let alone = model.forward(.tokens(sequences[b]), batchSize: 1)
            for c in 0..<3 { #expect(abs(alone[0, c] - batched[b, c]) < 1e-6) }
            model.computeGradients(.tokens(sequences[b]), labels: [labels[b]], batchSize: 1)
            for i in meanGradient.indices { meanGradient[i] += model.parameters.gradients[i] / Float(B) }
        }
        let worst = zip(batchedGradient, meanGradient).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-6, "largest gradient difference \(worst)")
    }

    /// Same seed, same thread count: identical losses, bit for bit.
    @Test func trainingIsDeterministic() throws {
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5), c = SeededRandom(seed: 6)
        var example = TutorialExample()
        example.epochs = 30
        let first = try example.train(using: &a).losses
        let second = try example.train(using: &b).losses
        let other = try example.train(using: &c).losses
        #expect(first == second)
        #expect(first != other)
    }

    @Test func truncatedBPTTTrainsACharacterModelOnStreams() {
        // Streams of "abcabc...": after a few chunks with the carried state, greedy
        // continuation follows the cycle.
        var rng = SeededRandom(seed: 62)
        let (B, T) = (4, 8)
        let model = ManyToManyModel(inputSize: 3, hiddenSize: 16, outputSize: 3, using: &rng)
        let optimizer = Adam(learningRate: 0.02)
        var state: [Float]? = nil
        var losses: [Double] = []
        for chunk in 0..<60 {
            var inputs = [Int32](repeating: 0, count: T * B), targets = inputs
            for t in 0..<T {
                for b in 0..<B {
                    let pos = chunk * T + t + b  // each stream is offset by b
                    inputs[t * B + b] = Int32(pos % 3)
                    targets[t * B + b] = Int32((pos + 1) % 3)
                }
            }
            losses.append(model.computeGradients(.tokens(inputs), targets: targets, batchSize: B, initialState: state))
            state = model.rnn.finalState()
            optimizer.step(model.parameters)
        }
        #expect(losses.last! < 0.05 && losses.first! > 0.8)
        #expect(model.greedyContinuation(of: [0, 1], count: 5) == [2, 0, 1, 2, 0])
    }
}
