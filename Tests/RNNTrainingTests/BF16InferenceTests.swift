import Linalg
import RNN
import RNNTraining
import Testing
import ToolTesting

/// bf16 inference: forwards of every shape (one sequence or a batch, one step or several,
/// on one thread or split across a team) against fp32 from the same weights; a single
/// sequence's steps split by units giving the single thread's bits; a sampler on a team
/// drawing the single thread's tokens; the tutorial's model evaluated and completing its
/// sentence in bf16.
@Suite(
    .enabled(if: BF16Support.current.isAvailable, "skipped: no avx512_bf16 (oneDNN runs no bf16 hardware here)"), .precision(.fp32))
struct BF16InferenceTests {
    /// H = 40 leaves uneven unit shares (16 + 24 for two threads).
    static func model(_ cell: RecurrentCell, embedding: Bool, hidden: Int = 40, layers: Int = 2) -> ManyToManyModel {
        var rng = SeededRandom(seed: 51)
        return ManyToManyModel(
            .init(
                inputSize: 9, outputSize: 9, recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers),
                embeddingSize: embedding ? 12 : 0), using: &rng)
    }

    /// The logits and the final state of a forward, in `precision`, on `team`.
    static func run(
        _ model: ManyToManyModel, _ precision: Precision, team: WorkerTeam?, tokens: [Int32], batchSize: Int, h0: [Float]
    ) throws -> [Float] {
        try model.setPrecision(precision)
        model.team = team
        defer { model.team = nil }
        return model.forward(.tokens(tokens), batchSize: batchSize, initialState: h0).storage + model.rnn.finalState()
    }

    /// Every product path: one sequence (`RowProduct` from pairs of rows, or split by units
    /// from the ranks' pairs), a batch of 5 (one GEMM, or split by units from bf16 shares),
    /// 67 (split by sequences on the team: each thread its own rounding buffers), one step
    /// and 7; with an embedding, layer 0's input is a product too.
    @Test(arguments: RecurrentCell.allCases)
    func everySplitFollowsFP32(_ cell: RecurrentCell) throws {
        let team = WorkerTeam(size: 2)
        for embedding in [false, true] {
            let model = Self.model(cell, embedding: embedding)
            var rng = SeededRandom(seed: 52)
            for batch in [1, 5, 67] {
                let h0 = (0..<model.rnn.stateSize(batchSize: batch)).map { _ in rng.uniform(-0.5, 0.5) }
                for steps in [1, 7] {
                    let tokens = (0..<(steps * batch)).map { _ in Int32(rng.index(below: 9)) }
                    let fp32 = try Self.run(model, .fp32, team: nil, tokens: tokens, batchSize: batch, h0: h0)
                    for threads in [nil, team] {
                        let bf16 = try Self.run(model, .bf16, team: threads, tokens: tokens, batchSize: batch, h0: h0)
                        let (relative, _) = BF16TrainingTests.compare(bf16, fp32)
                        let what = "\(cell), embedding \(embedding), B \(batch), T \(steps), \(threads == nil ? 1 : 2) threads"
                        #expect(relative <= BF16TrainingTests.relativeBound, "\(what): relative error \(relative)")
                        #expect(bf16 != fp32, "\(what): ran in fp32")
                    }
                }
            }
        }
    }

    @Test(arguments: RecurrentCell.allCases, [2, 3])
    func aSingleStepSplitByUnitsHasTheSameBits(_ cell: RecurrentCell, threads: Int) throws {
        let team = WorkerTeam(size: threads)
        for (embedding, hidden, layers) in [(false, 40, 2), (true, 40, 2), (true, 20, 3)] {
            let model = Self.model(cell, embedding: embedding, hidden: hidden, layers: layers)
            var rng = SeededRandom(seed: 53)
            let h0 = (0..<model.rnn.stateSize(batchSize: 1)).map { _ in rng.uniform(-0.5, 0.5) }
            let token = [Int32(rng.index(below: 9))]
            let alone = try Self.run(model, .bf16, team: nil, tokens: token, batchSize: 1, h0: h0)
            let split = try Self.run(model, .bf16, team: team, tokens: token, batchSize: 1, h0: h0)
            #expect(split == alone, "\(cell), \(threads) threads, H \(hidden), L \(layers), embedding \(embedding)")
        }
    }

    @Test func aSamplerOnATeamDrawsTheSingleThreadsTokens() throws {
        let model = Self.model(.lstm, embedding: true)
        try model.setPrecision(.bf16)
        func draw() -> [Int32] {
            let sampler = Sampler(model: model)
            sampler.prime([1, 2, 3])
            var rng = SeededRandom(seed: 54)
            return (0..<60).map { _ in sampler.next(temperature: 1, using: &rng) }
        }
        let alone = draw()
        model.team = WorkerTeam(size: 2)
        #expect(draw() == alone)
    }

    /// Trained in fp32, evaluated in bf16: the loss within 1e-2 of fp32's, and the greedy
    /// completion (single steps: the bf16 `RowProduct`) unchanged.
    @Test func theTutorialsModelEvaluatesAndCompletesInBF16() throws {
        let example = TutorialExample()
        var rng = SeededRandom(seed: 0)
        let trainer = example.makeTrainer(using: &rng)
        try trainer.train(on: example.source, for: .epochs(example.epochs))
        let model = trainer.model
        let fp32 = model.meanLoss(over: example.source).loss
        try model.setPrecision(.bf16)
        let bf16 = model.meanLoss(over: example.source).loss
        #expect(abs(bf16 - fp32) <= 1e-2 && bf16 != fp32, "bf16 loss \(bf16), fp32 \(fp32)")
        let completion = try TutorialExample.complete("good", model: model, vocabulary: example.vocabulary)
        #expect(completion == "good i am fine ", "\(completion)")
    }
}
