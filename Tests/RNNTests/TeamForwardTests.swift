import Linalg
import RNN
import Testing

/// A forward split across a `WorkerTeam` against the same forward on one thread: a single
/// step of one sequence (split by hidden units) gives the same bits; several steps (whose
/// upper-layer input product is one GEMM split by rows) and a batch the same values up to
/// the GEMM's rounding; the packed shares follow parameter updates and a change of team;
/// and a sampler with a team draws the single-thread sampler's tokens.
struct TeamForwardTests {
    /// H = 40 leaves uneven unit shares (16 + 24 for two threads, 16 + 16 + 8 for three);
    /// H = 20 leaves the third of three threads no units at all.
    static func model(
        _ cell: RecurrentCell, embedding: Bool, hidden: Int = 40, layers: Int = 2,
        seed: UInt64 = 5
    ) -> ManyToManyModel {
        var rng = SeededRandom(seed: seed)
        return ManyToManyModel(
            .init(
                inputSize: 9, outputSize: 9, recurrent: .init(cell: cell, hiddenSize: hidden, numLayers: layers),
                embeddingSize: embedding ? 12 : 0), using: &rng)
    }

    static func run(_ model: ManyToManyModel, team: WorkerTeam?, tokens: [Int32], batchSize: Int, h0: [Float])
        -> (logits: [Float], state: [Float])
    {
        model.team = team
        defer { model.team = nil }
        let logits = model.forward(.tokens(tokens), batchSize: batchSize, initialState: h0)
        return (logits.storage, model.rnn.finalState())
    }

    static func worst(_ a: (logits: [Float], state: [Float]), _ b: (logits: [Float], state: [Float])) -> Float {
        zip(a.logits + a.state, b.logits + b.state).map { abs($0 - $1) }.max()!
    }

    @Test(arguments: RecurrentCell.allCases, [2, 3])
    func oneSequenceSplitByUnitsMatches(_ cell: RecurrentCell, threads: Int) {
        let team = WorkerTeam(size: threads)
        for (embedding, hidden, layers) in [(false, 40, 2), (true, 40, 2), (true, 20, 3)] {
            let model = Self.model(cell, embedding: embedding, hidden: hidden, layers: layers)
            var rng = SeededRandom(seed: 11)
            let h0 = (0..<model.rnn.stateSize(batchSize: 1)).map { _ in rng.uniform(-0.5, 0.5) }
            let what = "\(cell), \(threads) threads, H \(hidden), L \(layers), embedding \(embedding)"
            // A single step: the same bits.
            let token = [Int32(rng.index(below: 9))]
            let alone = Self.run(model, team: nil, tokens: token, batchSize: 1, h0: h0)
            let split = Self.run(model, team: team, tokens: token, batchSize: 1, h0: h0)
            #expect(split.logits == alone.logits && split.state == alone.state, "\(what), one step")
            // Several steps: the input GEMM's rows split, within rounding.
            let tokens = (0..<9).map { _ in Int32(rng.index(below: 9)) }
            let worst = Self.worst(
                Self.run(model, team: team, tokens: tokens, batchSize: 1, h0: h0),
                Self.run(model, team: nil, tokens: tokens, batchSize: 1, h0: h0))
            #expect(worst <= 1e-5, "\(what), 9 steps: differs by \(worst)")
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
            for steps in [1, 7] {
                let tokens = (0..<(steps * batch)).map { _ in Int32(rng.index(below: 9)) }
                let worst = Self.worst(
                    Self.run(model, team: team, tokens: tokens, batchSize: batch, h0: h0),
                    Self.run(model, team: nil, tokens: tokens, batchSize: batch, h0: h0))
                #expect(worst <= 1e-5, "\(cell), batch \(batch), \(steps) steps: differs by \(worst)")
            }
        }
    }

    /// The packed shares are made again when the parameters change and when the team does.
    @Test func packedSharesFollowUpdatesAndTeams() {
        let model = Self.model(.lstm, embedding: false)
        let h0 = [Float](repeating: 0.1, count: model.rnn.stateSize(batchSize: 1))
        let teams = [WorkerTeam(size: 2), WorkerTeam(size: 3), WorkerTeam(size: 2)]
        for (i, team) in teams.enumerated() {
            _ = Self.run(model, team: team, tokens: [2], batchSize: 1, h0: h0)  // prepares the shares
            for j in model.parameters.values.indices { model.parameters.values[j] *= 1.1 }  // an update of every weight
            let split = Self.run(model, team: team, tokens: [4], batchSize: 1, h0: h0)
            let alone = Self.run(model, team: nil, tokens: [4], batchSize: 1, h0: h0)
            #expect(split.logits == alone.logits && split.state == alone.state, "team \(i) of \(team.size)")
        }
    }

    /// Primed with one token, every later step is a single step: the same draws.
    @Test func aSamplerWithATeamDrawsTheSameTokens() {
        for cell in RecurrentCell.allCases {
            let model = Self.model(cell, embedding: false)
            func draw(_ team: WorkerTeam?) -> [Int32] {
                model.team = team
                defer { model.team = nil }
                let sampler = Sampler(model: model)
                sampler.prime([1])
                var rng = SeededRandom(seed: 4)
                return (0..<300).map { _ in sampler.next(temperature: 1, using: &rng) }
            }
            #expect(draw(WorkerTeam(size: 2)) == draw(nil), "\(cell)")
        }
    }
}
