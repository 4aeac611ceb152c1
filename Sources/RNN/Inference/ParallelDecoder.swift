import Linalg

/// Beam search over many sources on several threads: one replica of the model per thread
/// (its values copied at `init`), the sources sorted by length and cut into batches (little
/// padding), the batches dealt out round-robin, each thread's products single-threaded.
///
/// ```swift
/// let decoder = ParallelDecoder(model, threads: 2)
/// let best = decoder.decode(sources, BeamSearch(width: 5), batchSize: 64).map { $0[0].tokens }
/// ```
/// - Complexity: `EncoderDecoderModel.decode` of every batch, spread over the threads; a
///   replica's parameters and workspaces per thread.
public final class ParallelDecoder {
    /// The model and its replicas, one per thread.
    public let models: [EncoderDecoderModel]
    private let team: WorkerTeam?

    /// - Parameters:
    ///   - model: the model to decode with (thread 0's); the others copy its values and
    ///     precision now.
    ///   - threads: threads to decode on (1: the calling thread alone, its GEMMs
    ///     single-threaded as each thread's are on more).
    public init(_ model: EncoderDecoderModel, threads: Int) {
        var rng = SeededRandom(seed: 0)
        models =
            [model]
            + (1..<max(1, threads)).map { _ in
                let replica = EncoderDecoderModel(model.configuration, using: &rng)
                replica.parameters.values = model.parameters.values
                // The model's precision was checked when it was set, so a replica's cannot fail.
                if replica.precision != model.precision { try! replica.setPrecision(model.precision) }
                return replica
            }
        team = threads > 1 ? WorkerTeam(size: threads) : nil
    }

    /// Each source's translations (in the sources' order), at most `batchSize` sources per
    /// batch: fewer (`sourcesPerBatch`) where long sources would make a batch's working set
    /// outgrow the cache. A source's translations do not depend on its batch.
    /// - Parameters:
    ///   - sources: non-empty token sequences.
    ///   - search: the beam search of every batch.
    ///   - batchSize: the most sources decoded together.
    ///   - recordAttention: fill each `Translation.attention`.
    public func decode(_ sources: [[Int32]], _ search: BeamSearch, batchSize: Int, recordAttention: Bool = false) -> [[Translation]] {
        // Longest first: each replica's buffers take their largest size at its first batch.
        let order = sources.indices.sorted { sources[$0].count > sources[$1].count }
        var batches: [[Int]] = []
        var first = 0
        while first < order.count {
            let size = sourcesPerBatch(longest: sources[order[first]].count, batchSize: batchSize)
            batches.append(Array(order[first..<min(first + size, order.count)]))
            first += size
        }
        var results = [[[Translation]]](repeating: [], count: batches.count)
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            func work(_ rank: Int, of size: Int) {
                for i in stride(from: rank, to: batches.count, by: size) {
                    out[i] = models[rank].decode(batches[i].map { sources[$0] }, search, recordAttention: recordAttention)
                }
            }
            if let team {
                team.run { rank in ComputeThreads.singleThreaded { work(rank, of: team.size) } }
            } else {
                ComputeThreads.singleThreaded { work(0, of: 1) }  // one thread: its GEMMs' too
            }
        }
        var translations = [[Translation]](repeating: [], count: sources.count)
        for (batch, result) in zip(batches, results) {
            for (index, list) in zip(batch, result) { translations[index] = list }
        }
        return translations
    }

    // Measured (AMD EPYC Zen 4, one thread, beam 5, the numbers test set: sources of 69
    // characters, 256 units): the LSTM decoded in 2.10 s in batches of 64, 1.92–1.99 s in
    // batches of 16–32, 2.05–2.06 s in batches of 8–12; the GRU in 1.74 s (64), 1.55–1.56 s
    // (16–24) and 1.60–1.79 s (8–12). A batch of 64 such sources holds 27 MB of the LSTM
    // encoder's gates, states and memory, one of 16 holds 6.8 MB. Cut to 16 MiB (batches
    // of 17 sources for the longest, 160 characters, to 43 for the median), the LSTM took
    // 1.99 s against 2.09 and the GRU 1.59 s against 1.66; the bench's batches of 64
    // sources of 15–30 tokens (12 MB) stay whole.
    /// The bytes of encoder activations and attention memory that a batch of long sources
    /// is cut to fit.
    package static var workingSetBytes: Int { 16 << 20 }
    /// The fewest sources a batch is cut to: fewer make the steps' products too short.
    package static var fewestSources: Int { 16 }

    /// How many sources, the longest `longest` tokens, one batch decodes: `batchSize`, or
    /// as many as keep the encoder's gates, states and memory (`longest·(G·H + H + M)`
    /// floats a source) within `workingSetBytes`, but not fewer than `fewestSources`.
    package func sourcesPerBatch(longest: Int, batchSize: Int) -> Int {
        let c = models[0].configuration, H = c.recurrent.hiddenSize
        let floatsPerStep = c.encoderRecurrent.directions * (c.recurrent.cell.gateCount * H + H) + c.memoryWidth
        let fitting = Self.workingSetBytes / max(1, longest * floatsPerStep * MemoryLayout<Float>.size)
        return max(1, min(batchSize, max(Self.fewestSources, fitting)))
    }
}
