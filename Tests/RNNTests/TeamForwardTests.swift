import Linalg
import RNN
import Testing

/// A forward split across a `WorkerTeam` against the same forward on one thread: one
/// sequence (split by hidden units, a barrier per step) gives the same bits; a batch
/// (split by units, or by sequences when it is large) the same values up to the GEMM's
/// rounding; and a sampler with a team draws the single-thread sampler's tokens.
struct TeamForwardTests {
    /// H = 40 leaves uneven unit shares (16 + 24 for two threads, 16 + 16 + 8 for three).
    static func model(_ cell: RecurrentCell, embedding: Bool, seed: UInt64 = 5) -> ManyToManyModel {
        var rng = SeededRandom(seed: seed)
        return ManyToManyModel(.init(inputSize: 9, outputSize: 9, recurrent: .init(cell: cell, hiddenSize: 40, numLayers: 2),
                                     embeddingSize: embedding ? 12 : 0), using: &rng)
    }

    static func run(_ model: ManyToManyModel, team: WorkerTeam?, tokens: [Int32], batchSize: Int, h0: [Float])
        -> (logits: [Float], state: [Float]) {
        model.rnn.team = team
        defer { model.rnn.team = nil }
        let logits = model.forward(.tokens(tokens), batchSize: batchSize, initialState: h0)
        return (logits.storage, model.rnn.finalState())
    }

    @Test(arguments: RecurrentCell.allCases, [2, 3])
    func oneSequenceSplitByUnitsHasTheSameBits(_ cell: RecurrentCell, threads: Int) {
        let team = WorkerTeam(size: threads)
        for embedding in [false, true] {
            let model = Self.model(cell, embedding: embedding)
            var rng = SeededRandom(seed: 11)
            let h0 = (0..<model.rnn.stateSize(batchSize: 1)).map { _ in rng.uniform(-0.5, 0.5) }
            for steps in [1, 13] {
                let tokens = (0..<steps).map { _ in Int32(rng.index(below: 9)) }
                let alone = Self.run(model, team: nil, tokens: tokens, batchSize: 1, h0: h0)
                let split = Self.run(model, team: team, tokens: tokens, batchSize: 1, h0: h0)
                #expect(split.logits == alone.logits, "\(cell), \(threads) threads, T \(steps), embedding \(embedding)")
                #expect(split.state == alone.state)
            }
        }
    }

    /// A batch of 5 splits by units (fewer than 32 sequences per thread), one of 67 by sequences.
    @Test(arguments: RecurrentCell.allCases)
    func aBatchSplitEitherWayMatches(_ cell: RecurrentCell) {
        let team = WorkerTeam(size: 2)
        let model = Self.model(cell, embedding: false)
        var rng = SeededRandom(seed: 12)
        for batch in [5, 67] {
            let h0 = (0..<model.rnn.stateSize(batchSize: batch)).map { _ in rng.uniform(-0.5, 0.5) }
            let tokens = (0..<(7 * batch)).map { _ in Int32(rng.index(below: 9)) }
            let alone = Self.run(model, team: nil, tokens: tokens, batchSize: batch, h0: h0)
            let split = Self.run(model, team: team, tokens: tokens, batchSize: batch, h0: h0)
            let worst = zip(split.logits + split.state, alone.logits + alone.state).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-5, "\(cell), batch \(batch): differs by \(worst)")
        }
    }

    @Test func aSamplerWithATeamDrawsTheSameTokens() {
        for cell in RecurrentCell.allCases {
            let model = Self.model(cell, embedding: false)
            func draw(_ team: WorkerTeam?) -> [Int32] {
                model.rnn.team = team
                defer { model.rnn.team = nil }
                let sampler = Sampler(model: model)
                sampler.prime([1, 2, 3])
                var rng = SeededRandom(seed: 4)
                return (0..<300).map { _ in sampler.next(temperature: 1, using: &rng) }
            }
            #expect(draw(WorkerTeam(size: 2)) == draw(nil), "\(cell)")
        }
    }
}
