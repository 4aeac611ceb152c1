import Linalg
import RNN

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

/// The training batches of one configuration, made before timing starts: per step, the
/// inputs and targets `[T*B]` in the time-major layout (step `t` of stream `b` at `t*B + b`).
///
/// Truncated BPTT: the corpus is cut into `B` contiguous streams of `corpus.count / B`
/// tokens; chunk `c` of stream `b` covers its tokens `c*T ..< (c+1)*T` and predicts each
/// next token, so consecutive chunks continue each stream (the state is carried).
struct TrainingBatches {
    let batchSize: Int
    let steps: Int
    var inputs: [[Int32]] = []
    var targets: [[Int32]] = []

    var count: Int { inputs.count }

    init(corpus: [Int32], batchSize B: Int, steps T: Int) {
        batchSize = B
        steps = T
        let streamLength = corpus.count / B
        let chunks = max((streamLength - 1) / T, 0)
        for c in 0..<chunks {
            var x = [Int32](repeating: 0, count: T * B), y = x
            for t in 0..<T {
                for b in 0..<B {
                    let i = b * streamLength + c * T + t
                    x[t * B + b] = corpus[i]
                    y[t * B + b] = corpus[i + 1]
                }
            }
            inputs.append(x)
            targets.append(y)
        }
    }

    /// The tutorial's single batch (three padded sentences, B 3, T 14, V 17).
    init(tutorial example: TutorialExample) {
        let data = example.batch
        batchSize = data.batchSize
        steps = data.steps
        inputs = [data.inputs]
        targets = [data.targets]
    }

    /// The batches `config` trains on: the tutorial's, or those of its synthetic corpus.
    static func make(for config: BenchConfiguration, seed: UInt64) -> TrainingBatches {
        if config.usesTutorialData {
            let example = TutorialExample()
            precondition(example.vocabulary.count == config.vocab, "tutorial vocabulary is \(example.vocabulary.count)")
            return TrainingBatches(tutorial: example)
        }
        let corpus = SyntheticCorpus.tokens(vocabularySize: config.vocab, count: config.corpusTokens, seed: seed)
        return TrainingBatches(corpus: corpus, batchSize: config.batch, steps: config.seqLength)
    }
}
