import Foundation
import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// bf16 mixed precision in training: a step's gradients against the fp32 step's from the
/// same weights, the tutorial trained in bf16, and a bf16 run resumed bit for bit. Where
/// the CPU has no bf16 hardware, setting it throws.
@Suite(
    .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16 (oneDNN runs no bf16 hardware here)"), .precision(.fp32))
struct BF16TrainingTests {
    /// `‖a − b‖ / ‖b‖` and the cosine of the angle between `a` and `b`.
    static func compare<A: Collection<Float>, B: Collection<Float>>(_ a: A, _ b: B) -> (relative: Double, cosine: Double) {
        var dot = 0.0, aa = 0.0, bb = 0.0, diff = 0.0
        for (x, y) in zip(a, b) {
            let (x, y) = (Double(x), Double(y))
            dot += x * y
            aa += x * x
            bb += y * y
            diff += (x - y) * (x - y)
        }
        return (diff.squareRoot() / bb.squareRoot(), dot / (aa * bb).squareRoot())
    }

    /// bf16 rounds each GEMM operand to 8 significant bits, a relative error of at most
    /// u = 2⁻⁹ each, so each product term is off by up to 2u; a step's gradient chains the
    /// forward's and the backward's products through the layers and steps, where errors
    /// of independent roundings mostly cancel. Measured here: 1.2–2.3u (0.24–0.46%) for
    /// the three cells; the bound is 8u (1.6%).
    static let relativeBound = 8.0 / 512

    @Test(arguments: [RecurrentCell.rnn, .gru, .lstm])
    func aBF16StepsGradientsFollowTheFP32Step(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 41)
        let model = ManyToManyModel(
            .init(inputSize: 11, outputSize: 11, recurrent: .init(cell: cell, hiddenSize: 32, numLayers: 2)), using: &rng)
        let (T, B) = (12, 8)
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: 11)) }
        let targets = (0..<(T * B)).map { _ in Int32(rng.index(below: 11)) }
        let batch = ManyToManyModel.Batch(input: .tokens(tokens), targets: targets, batchSize: B)
        let fp32Loss = model.computeGradients(batch)
        let fp32 = model.parameters.gradients
        try model.setPrecision(.bf16)
        #expect(model.precision == .bf16 && model.rnn.precision == .bf16 && model.fc.precision == .bf16)
        let bf16Loss = model.computeGradients(batch)
        let bf16 = model.parameters.gradients
        let (relative, cosine) = Self.compare(bf16, fp32)
        #expect(abs(bf16Loss - fp32Loss) / fp32Loss < 1e-2, "loss \(bf16Loss) against \(fp32Loss)")
        #expect(cosine >= 0.99 && relative <= Self.relativeBound, "\(cell): relative \(relative), cosine \(cosine)")
        #expect(bf16 != fp32, "the bf16 step ran in fp32")
        try model.setPrecision(.fp32)
        #expect(model.computeGradients(batch) == fp32Loss && model.parameters.gradients == fp32)
    }

    /// The bits rounded once for several products (a layer's states by its forward steps,
    /// its gate gradients by its backward steps) are the bits each product would round
    /// itself: the loss and every gradient equal those of a run that rounds every operand
    /// at each product. Three layers on tokens (each above reading the one below's
    /// states, the output layer the top one's; its `dY` rounded once for `dW` and `dH`);
    /// an embedding with dropout between the layers (dense input, dropped inputs, dropped
    /// outputs); a bidirectional classifier on padded dense rows.
    @Test(arguments: [RecurrentCell.rnn, .gru, .lstm])
    func operandsRoundedOnceGiveEachProductsBits(_ cell: RecurrentCell) throws {
        var rng = SeededRandom(seed: 44)
        let (V, T, B) = (11, 9, 6)
        let tokens = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let targets = (0..<(T * B)).map { _ in Int32(rng.index(below: V)) }
        let recurrent = RecurrentConfiguration(cell: cell, hiddenSize: 32, numLayers: 3)
        let models = [
            ManyToManyModel(.init(inputSize: V, outputSize: V, recurrent: recurrent), using: &rng),
            ManyToManyModel(
                .init(
                    inputSize: V, outputSize: V, recurrent: recurrent, embeddingSize: 16, dropout: 0.3, dropoutSeed: 7),
                using: &rng),
        ]
        for (index, model) in models.enumerated() {
            try model.setPrecision(.bf16)
            model.trainingStep = 3
            let loss = model.computeGradients(.tokens(tokens), targets: targets, batchSize: B)
            let gradients = model.parameters.gradients.array
            model.rnn.readsRoundedCopies = false
            model.fc.readsRoundedCopies = false
            model.trainingStep = 3
            let reference = model.computeGradients(.tokens(tokens), targets: targets, batchSize: B)
            #expect(loss == reference, "\(cell), model \(index): loss \(loss) against \(reference)")
            let differing = zip(gradients, model.parameters.gradients.array).count { $0 != $1 }
            #expect(differing == 0, "\(cell), model \(index): \(differing) of \(gradients.count) gradients differ")
        }
        let classifier = ManyToOneModel(
            .init(inputSize: 6, outputSize: 3, recurrent: .init(cell: cell, hiddenSize: 24, numLayers: 2, bidirectional: true)),
            using: &rng)
        let sequences = (0..<10).map { _ in
            (0..<(3 + rng.index(below: 6))).map { _ in (0..<6).map { _ in rng.normal() } }
        }
        let batch = try ManyToOneModel.Batch(sequences: sequences, labels: sequences.indices.map { $0 % 3 })
        try classifier.setPrecision(.bf16)
        let loss = classifier.computeGradients(batch)
        let gradients = classifier.parameters.gradients.array
        classifier.rnn.readsRoundedCopies = false
        let reference = classifier.computeGradients(batch)
        let differing = zip(gradients, classifier.parameters.gradients.array).count { $0 != $1 }
        #expect(
            reference == loss && differing == 0, "\(cell), bidirectional: loss \(loss) against \(reference), \(differing) gradients differ")
    }

    /// A bidirectional classifier on dense rows, padded: every GEMM site of the stack (the
    /// input projection, both directions, the joined input gradient) and the head.
    @Test func aBidirectionalClassifierFollowsToo() throws {
        var rng = SeededRandom(seed: 42)
        let model = ManyToOneModel(
            .init(inputSize: 6, outputSize: 3, recurrent: .init(cell: .gru, hiddenSize: 24, numLayers: 2, bidirectional: true)),
            using: &rng)
        let sequences = (0..<10).map { _ in
            (0..<(3 + rng.index(below: 6))).map { _ in (0..<6).map { _ in rng.normal() } }
        }
        let batch = try ManyToOneModel.Batch(sequences: sequences, labels: sequences.indices.map { $0 % 3 })
        let fp32Loss = model.computeGradients(batch)
        let fp32 = model.parameters.gradients
        try model.setPrecision(.bf16)
        let bf16Loss = model.computeGradients(batch)
        let (relative, cosine) = Self.compare(model.parameters.gradients, fp32)
        #expect(abs(bf16Loss - fp32Loss) / fp32Loss < 1e-2, "loss \(bf16Loss) against \(fp32Loss)")
        #expect(cosine >= 0.99 && relative <= Self.relativeBound, "relative \(relative), cosine \(cosine)")
    }

    /// The tutorial's model trained in bf16 on two worker threads (each replica in bf16)
    /// still completes its sentence.
    @Test func theTutorialTrainsInBF16() throws {
        let example = TutorialExample()
        var rng = SeededRandom(seed: 0)
        let trainer = example.makeTrainer(using: &rng)
        try trainer.model.setPrecision(.bf16)
        try trainer.train(on: example.source, for: .epochs(example.epochs))
        let completion = try TutorialExample.complete("good", model: trainer.model, vocabulary: example.vocabulary)
        #expect(completion == "good i am fine ", "\(completion)")
    }

    /// Two chunks, a checkpoint, two more from the file: the weights of four chunks in one
    /// run, bit for bit (the bf16 copies of the weights are made again from the same values).
    @Test func aBF16RunResumesBitForBit() throws {
        func makeTrainer() throws -> (Trainer<ManyToManyModel>, TokenStreams) {
            var rng = SeededRandom(seed: 43)
            let text = (0..<2000).map { _ in Int32(rng.index(below: 9)) }
            let streams = try TokenStreams.cutting(TokenSequence(text), batchSize: 16, seqLength: 10, partialChunks: false)
            let model = ManyToManyModel(
                .init(inputSize: 9, outputSize: 9, recurrent: .init(cell: .lstm, hiddenSize: 20)), using: &rng)
            try model.setPrecision(.bf16)
            return (Trainer(model: model, optimizer: Adam(learningRate: 0.01), workers: 2, clipNorm: 5), streams)
        }
        let (straight, streams) = try makeTrainer()
        try straight.train(on: streams, for: .steps(4))
        let (first, _) = try makeTrainer()
        try first.train(on: streams, for: .steps(2))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bf16-resume-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelCheckpoint(
            model: first.model, optimizer: OptimizerState(capturing: first.optimizer),
            training: first.trainingState(rngState: SeededRandom(seed: 0).state)
        ).write(path: path)
        let resumed = try Trainer(resuming: try ModelCheckpoint<ManyToManyModel>.read(path: path), workers: 2)
        #expect(resumed.model.precision == .fp32)  // a run setting, not stored
        try resumed.model.setPrecision(.bf16)
        try resumed.train(on: streams, for: .steps(4))
        #expect(resumed.model.parameters.values == straight.model.parameters.values)
    }
}

/// Where the CPU has no bf16 hardware, asking for it throws and leaves fp32.
@Suite(.enabled(if: !BF16Support.current.isAvailable, "skipped: this CPU has bf16 hardware (BF16TrainingTests run)"))
struct BF16UnavailableTests {
    @Test func settingBF16Throws() {
        var rng = SeededRandom(seed: 44)
        let model = ManyToManyModel(.init(inputSize: 5, outputSize: 5, recurrent: .init(hiddenSize: 8)), using: &rng)
        #expect(throws: PrecisionError.self) { try model.setPrecision(.bf16) }
        #expect(model.precision == .fp32)
    }
}
