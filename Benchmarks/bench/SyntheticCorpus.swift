import Linalg
import RNN
import RNNTraining

/// A deterministic synthetic character corpus: a seeded first-order Markov chain over
/// `V` symbols in which every symbol has four favoured successors (taken 85% of the
/// time, uniformly among the four) and any symbol otherwise. It has learnable structure
/// (the loss falls from ln V towards ~1.9 nats), costs nothing to make, and depends only
/// on `(V, count, seed)`.
///
/// ```swift
/// let text = SyntheticCorpus.tokens(vocabularySize: 65, count: 100_000, seed: 0)
/// ```
enum SyntheticCorpus {
    static let favouredSuccessors = 4
    static let favouredProbability: Float = 0.85

    static func tokens(vocabularySize V: Int, count: Int, seed: UInt64) -> [Int32] {
        precondition(V >= 1 && count >= 0, "corpus needs V >= 1 and count >= 0, got V \(V), count \(count)")
        var rng = SeededRandom(seed: seed)
        let fan = favouredSuccessors
        var successors = [Int32](repeating: 0, count: V * fan)
        for i in successors.indices { successors[i] = Int32(rng.index(below: V)) }
        var out = [Int32]()
        out.reserveCapacity(count)
        var s = rng.index(below: V)
        for _ in 0..<count {
            out.append(Int32(s))
            if rng.unit() < favouredProbability {
                s = Int(successors[s * fan + rng.index(below: fan)])
            } else {
                s = rng.index(below: V)
            }
        }
        return out
    }
}

/// The batches a configuration trains on, as a `Trainer` reads them: the synthetic
/// corpus cut into streams by `TokenStreams` (charrnn's cut: `B` streams of `(n − 1) / B`
/// tokens, each chunk written into the reused batch inside the timed epoch, as charrnn
/// does), or the tutorial's single batch (full batch, `fullBatchSteps` updates per epoch).
enum TrainingBatches: BatchSource {
    case streams(TokenStreams)
    case fullBatch(ManyToManyModel.Batch, steps: Int)

    var batchesPerEpoch: Int {
        switch self {
        case .streams(let s): return s.batchesPerEpoch
        case .fullBatch(_, let steps): return steps
        }
    }

    var continuesSequences: Bool {
        if case .streams = self { return true }
        return false
    }

    func fill(_ index: Int, epoch: Int, into batch: inout ManyToManyModel.Batch) {
        switch self {
        case .streams(let s): s.fill(index, epoch: epoch, into: &batch)
        case .fullBatch(let b, _): batch = b
        }
    }

    /// The batches `config` trains on: the tutorial's, or those of its synthetic corpus.
    static func make(for config: BenchConfiguration, seed: UInt64) -> TrainingBatches {
        if config.usesTutorialData {
            let example = TutorialExample()
            precondition(example.vocabulary.count == config.vocab, "tutorial vocabulary is \(example.vocabulary.count)")
            let data = example.batch
            return .fullBatch(
                ManyToManyModel.Batch(input: .tokens(data.inputs), targets: data.targets, batchSize: data.batchSize),
                steps: config.stepsPerEpoch)
        }
        let corpus = SyntheticCorpus.tokens(vocabularySize: config.vocab, count: config.corpusTokens, seed: seed)
        if let steps = config.fullBatchSteps {
            // A synthetic batch of the configuration's shape, trained `steps` times.
            var batch = ManyToManyModel.Batch()
            TokenStreams(
                tokens: TokenSequence(corpus), batchSize: config.batch, seqLength: config.seqLength,
                partialChunks: false)!.fill(0, epoch: 0, into: &batch)
            return .fullBatch(batch, steps: steps)
        }
        guard
            let streams = TokenStreams(
                tokens: TokenSequence(corpus), batchSize: config.batch, seqLength: config.seqLength,
                partialChunks: false)
        else {
            return .fullBatch(ManyToManyModel.Batch(), steps: 0)
        }
        return .streams(streams)
    }
}
