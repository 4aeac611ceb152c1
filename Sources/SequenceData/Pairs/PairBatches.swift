import Linalg
import RNN
import RNNTraining

/// Batches of token pairs for `EncoderDecoderModel`, reshuffled every epoch from a seed (so
/// a resumed run sees the batches of the uninterrupted one), with pairs of similar source
/// lengths batched together to waste little on padding.
///
/// Each epoch draws a permutation of the pairs (`SeededRandom(seed ⊕ epoch)`), sorts each
/// run of `bucketBatches` batches' worth of it by source length, cuts it into batches and
/// shuffles their order. Targets get the end token appended.
///
/// ```swift
/// let source = PairBatches(sources: s, targets: t, endToken: end, batchSize: 64, seed: 1)
/// try trainer.train(on: source, for: .epochs(10))
/// ```
/// - Complexity: O(n log n) per epoch for n pairs (once, cached), O(B·(Ts + Tt)) per batch.
public final class PairBatches: BatchSource {
    public let sources: [[Int32]]
    /// The targets, each with the end token appended.
    public let targets: [[Int32]]
    public let batchSize: Int
    public let seed: UInt64
    /// Whether the order changes every epoch (false: the pairs in their order, for evaluation).
    public let shuffles: Bool
    /// Batches whose pairs are sorted by length together (1: no sorting across batches).
    public let bucketBatches: Int
    /// Whether an epoch leaves out its last, partial batch (the pairs left out change with
    /// the order): every batch then has `batchSize` pairs, as ranks sharing each batch need.
    public let fullBatchesOnly: Bool
    private var cachedEpoch = -1
    private var batches: [[Int]] = []

    public var continuesSequences: Bool { false }
    public var batchesPerEpoch: Int { fullBatchesOnly ? sources.count / batchSize : (sources.count + batchSize - 1) / batchSize }

    /// - Parameters:
    ///   - sources: token sequences, none empty.
    ///   - targets: one per source, none empty, without the end token.
    ///   - endToken: appended to every target.
    ///   - batchSize: pairs per batch (the last may have fewer).
    ///   - seed: the order's seed.
    ///   - shuffles: draw a new order every epoch (training) or keep the pairs' (evaluation).
    ///   - bucketBatches: batches' worth of pairs sorted by source length together.
    ///   - fullBatchesOnly: leave out each epoch's partial batch (at least `batchSize` pairs needed).
    public init(
        sources: [[Int32]], targets: [[Int32]], endToken: Int32, batchSize: Int, seed: UInt64, shuffles: Bool = true,
        bucketBatches: Int = 32, fullBatchesOnly: Bool = false
    ) {
        precondition(!sources.isEmpty && sources.count == targets.count, "one target per source, at least one pair")
        precondition(sources.allSatisfy { !$0.isEmpty } && targets.allSatisfy { !$0.isEmpty }, "no empty source or target")
        precondition(batchSize > 0 && bucketBatches > 0, "positive batch and bucket sizes")
        precondition(!fullBatchesOnly || sources.count >= batchSize, "full batches need at least \(batchSize) pairs")
        self.sources = sources
        self.targets = targets.map { $0 + [endToken] }
        self.batchSize = batchSize
        self.seed = seed
        self.shuffles = shuffles
        self.bucketBatches = bucketBatches
        self.fullBatchesOnly = fullBatchesOnly
    }

    /// The pairs of each batch of `epoch`.
    public func order(epoch: Int) -> [[Int]] {
        if epoch == cachedEpoch || (!shuffles && cachedEpoch >= 0) { return batches }
        var indices = Array(sources.indices)
        var cut: [[Int]] = []
        if shuffles {
            var rng = SeededRandom(seed: seed ^ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
            for i in stride(from: indices.count - 1, to: 0, by: -1) { indices.swapAt(i, rng.index(below: i + 1)) }
            for start in stride(from: 0, to: indices.count, by: batchSize * bucketBatches) {
                let bucket = indices[start..<min(start + batchSize * bucketBatches, indices.count)]
                    .sorted { sources[$0].count != sources[$1].count ? sources[$0].count < sources[$1].count : $0 < $1 }
                for b in stride(from: 0, to: bucket.count, by: batchSize) {
                    cut.append(Array(bucket[(bucket.startIndex + b)..<min(bucket.startIndex + b + batchSize, bucket.endIndex)]))
                }
            }
            for i in stride(from: cut.count - 1, to: 0, by: -1) { cut.swapAt(i, rng.index(below: i + 1)) }
        } else {
            cut = stride(from: 0, to: indices.count, by: batchSize).map { Array(indices[$0..<min($0 + batchSize, indices.count)]) }
        }
        if fullBatchesOnly { cut.removeAll { $0.count < batchSize } }
        cachedEpoch = epoch
        batches = cut
        return cut
    }

    public func fill(_ index: Int, epoch: Int, into batch: inout EncoderDecoderModel.Batch) {
        let chosen = order(epoch: epoch)[index]
        let B = chosen.count
        let Ts = chosen.map { sources[$0].count }.max()!, Tt = chosen.map { targets[$0].count }.max()!
        batch.batchSize = B
        batch.source.removeAll(keepingCapacity: true)
        batch.source.append(contentsOf: repeatElement(-1, count: Ts * B))
        batch.targets.removeAll(keepingCapacity: true)
        batch.targets.append(contentsOf: repeatElement(-1, count: Tt * B))
        batch.sourceLengths.removeAll(keepingCapacity: true)
        for (b, pair) in chosen.enumerated() {
            for (t, token) in sources[pair].enumerated() { batch.source[t * B + b] = token }
            for (t, token) in targets[pair].enumerated() { batch.targets[t * B + b] = token }
            batch.sourceLengths.append(sources[pair].count)
        }
    }
}
