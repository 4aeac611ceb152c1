import Linalg
import RNN
import Testing

/// The inference path (`Sampler` over the model's prepared weights): step by step equals
/// the training forward, a batch of samples equals single samples, and the prepared
/// weights follow every change of the parameters.
struct InferenceTests {
    static func model(_ cell: RecurrentCell, layers: Int, embedding: Bool, seed: UInt64 = 3) -> ManyToManyModel {
        var rng = SeededRandom(seed: seed)
        return ManyToManyModel(
            .init(
                inputSize: 7, outputSize: 7, recurrent: .init(cell: cell, hiddenSize: 6, numLayers: layers),
                embeddingSize: embedding ? 5 : 0, dropout: embedding ? 0.3 : 0), using: &rng)
    }

    @Test(arguments: RecurrentCell.allCases, [1, 2, 3])
    func stepByStepEqualsTheForward(_ cell: RecurrentCell, layers: Int) {
        for embedding in [false, true] {
            let model = Self.model(cell, layers: layers, embedding: embedding)
            var rng = SeededRandom(seed: 9)
            let tokens = (0..<12).map { _ in Int32(rng.index(below: 7)) }
            let h0 = (0..<model.rnn.stateSize(batchSize: 1)).map { _ in rng.uniform(-0.5, 0.5) }
            let whole = model.forward(.tokens(tokens), batchSize: 1, initialState: h0)
            // From the same carried state: a prime of 4, then one token at a time.
            let sampler = Sampler(model: model)
            sampler.prime([])
            #expect(sampler.lastLogits == nil)
            let primed = Sampler(model: model)
            primed.setState(h0)
            primed.prime(Array(tokens[0..<4]))
            var worst: Float = 0
            for t in 4..<tokens.count {
                worst = max(worst, zip(primed.lastLogits!, whole.row(t - 1)).map { abs($0 - $1) }.max()!)
                primed.feed(tokens[t])
            }
            worst = max(worst, zip(primed.lastLogits!, whole.row(tokens.count - 1)).map { abs($0 - $1) }.max()!)
            #expect(worst <= 1e-5, "\(cell), \(layers) layers, embedding \(embedding): logits differ by \(worst)")
            _ = model.forward(.tokens(tokens), batchSize: 1, initialState: h0)
            #expect(zip(primed.state, model.rnn.finalState()).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    @Test func aBatchOfSamplesEqualsSingleSamples() {
        let model = Self.model(.lstm, layers: 2, embedding: true)
        let batch = Sampler(model: model, batchSize: 5)
        batch.prime([1, 2, 3])
        // The shared prime runs once: every sequence's logits are the single sampler's, bit for bit.
        let one = Sampler(model: model)
        one.prime([1, 2, 3])
        for b in 0..<5 { #expect(Array(batch.logits(of: b)) == one.lastLogits!) }
        var rngs = (0..<5).map { SeededRandom(seed: 100 + UInt64($0)) }
        var tokens = [Int32](repeating: 0, count: 5)
        var drawn = [[Int32]](repeating: [], count: 5)
        for _ in 0..<40 {
            batch.next(temperature: 1, topK: nil, using: &rngs, into: &tokens)
            for b in 0..<5 { drawn[b].append(tokens[b]) }
        }
        for b in 0..<5 {
            let single = Sampler(model: model)
            single.prime([1, 2, 3])
            var rng = SeededRandom(seed: 100 + UInt64(b))
            let alone = (0..<40).map { _ in single.next(temperature: 1, using: &rng) }
            #expect(alone == drawn[b], "sample \(b)")
        }
        #expect(Set(drawn.map { $0 }).count > 1)  // the seeds give different samples
    }

    /// The prepared weights (token table, W_hhᵀ) are made again after the parameters change.
    @Test func preparedWeightsFollowTheParameters() {
        let model = Self.model(.gru, layers: 2, embedding: false)
        let sampler = Sampler(model: model)
        sampler.prime([1, 2, 3])
        let before = sampler.lastLogits!
        let version = model.parameters.version
        model.parameters.values[model.parameters.slot(named: "rnn.weight_hh_l1")!.offset] += 0.5
        model.parameters.values[model.parameters.slot(named: "rnn.weight_ih_l0")!.offset + 1] -= 0.5
        #expect(model.parameters.version != version)
        // An optimizer's in-place update moves the version too.
        let beforeStep = model.parameters.version
        model.computeGradients(.tokens([1, 2, 3, 4]), targets: [2, 3, 4, 5], batchSize: 1)
        #expect(model.parameters.version == beforeStep)  // gradients are not values
        Adam(learningRate: 0.01).step(model.parameters)
        #expect(model.parameters.version != beforeStep)
        sampler.reset()
        sampler.prime([1, 2, 3])
        let fresh = Self.model(.gru, layers: 2, embedding: false)
        fresh.parameters.values.assign(model.parameters.values.array)
        let expected = fresh.forward(.tokens([1, 2, 3]), batchSize: 1).row(2)
        // (The sampler's output layer runs on one row, the forward's on three: rounding.)
        #expect(zip(sampler.lastLogits!, expected).allSatisfy { abs($0 - $1) <= 1e-6 })
        #expect(sampler.lastLogits! != before)
    }
}
