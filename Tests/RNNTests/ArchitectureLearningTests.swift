import Linalg
import RNN
import Testing

/// Each architecture learns a small synthetic task to a stated accuracy within a
/// fixed budget (Adam, clipping at 5), seeded.
struct ArchitectureLearningTests {
    /// Many-to-one: the class of a variable-length sequence (3...8 tokens over 4
    /// symbols) is its **first** token, so the model must carry it to the sequence's
    /// own last step through the padding-free recurrence. Target: >= 95% held out.
    @Test func manyToOneRemembersTheFirstToken() throws {
        var rng = SeededRandom(seed: 51)
        let (V, B, T) = (4, 32, 8)
        let model = ManyToOneModel(inputSize: V, hiddenSize: 24, outputSize: V, using: &rng)
        let optimizer = Adam(learningRate: 0.01)
        func batch() throws -> ManyToOneModel.Batch {
            let sequences = (0..<B).map { _ in (0..<(3 + rng.index(below: T - 2))).map { _ in rng.index(below: V) } }
            return try ManyToOneModel.Batch(sequences: sequences, labels: sequences.map { $0[0] })
        }
        for _ in 0..<300 {
            model.computeGradients(try batch())
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
        }
        var correct = 0
        for _ in 0..<4 {
            let d = try batch()
            correct += zip(model.predict(d), d.labels).filter { $0 == $1 }.count
        }
        #expect(Double(correct) / Double(4 * B) >= 0.95, "accuracy \(correct)/\(4 * B)")
    }

    /// One-to-many: input `k` (one-hot of 5) must emit the digits `k, k+1, ..., k+5`
    /// (mod 10). Target: every sequence exactly right, greedily decoded.
    @Test func oneToManyEmitsTheDigitSequenceChosenByTheInput() {
        var rng = SeededRandom(seed: 52)
        let (K, T) = (5, 6)
        let model = OneToManyModel(featureSize: K, vocabularySize: 11, hiddenSize: 32, startToken: 10, using: &rng)
        let features = Matrix.identity(K)
        var targets = [Int32](repeating: 0, count: T * K)
        for t in 0..<T { for k in 0..<K { targets[t * K + k] = Int32((k + t) % 10) } }
        let optimizer = Adam(learningRate: 0.02)
        for _ in 0..<200 {
            model.computeGradients(features: features, targets: targets)
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
        }
        let generated = model.generate(features: features, length: T)
        for k in 0..<K {
            #expect(generated[k] == (0..<T).map { Int32((k + $0) % 10) })
        }
    }

    /// Encoder-decoder: reverse strings of 1...5 letters over 4 letters (input and
    /// output lengths vary per example). Target: >= 90% of 64 held-out strings exact.
    @Test func encoderDecoderReversesStrings() throws {
        var rng = SeededRandom(seed: 53)
        let (V, B, maxLen) = (4, 32, 5)
        let (start, end) = (Int32(V), Int32(V + 1))
        let model = EncoderDecoderModel(
            sourceVocabularySize: V, targetVocabularySize: V + 2, hiddenSize: 64,
            startToken: start, endToken: end, using: &rng)
        let optimizer = Adam(learningRate: 0.005)
        func string() -> [Int] { (0..<(1 + rng.index(below: maxLen))).map { _ in rng.index(below: V) } }
        for _ in 0..<600 {
            let strings = (0..<B).map { _ in string() }
            model.computeGradients(try EncoderDecoderModel.Batch(sources: strings, targets: strings.map { $0.reversed() + [Int(end)] }))
            GradientClipping.clipGlobalNorm(model.parameters, maxNorm: 5)
            optimizer.step(model.parameters)
        }
        let tests = (0..<64).map { _ in string().map(Int32.init) }
        let correct = tests.filter { model.translate($0, maxLength: maxLen + 1) == Array($0.reversed()) }.count
        #expect(correct >= 58, "reversed \(correct) of 64")
    }
}
