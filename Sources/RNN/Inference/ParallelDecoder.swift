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

    /// Each source's translations (in the sources' order), `batchSize` sources per batch.
    /// - Parameters:
    ///   - sources: non-empty token sequences.
    ///   - search: the beam search of every batch.
    ///   - batchSize: sources decoded together.
    ///   - recordAttention: fill each `Translation.attention`.
    public func decode(_ sources: [[Int32]], _ search: BeamSearch, batchSize: Int, recordAttention: Bool = false) -> [[Translation]] {
        // Longest first: each replica's buffers take their largest size at its first batch.
        let order = sources.indices.sorted { sources[$0].count > sources[$1].count }
        let batches = stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min($0 + batchSize, order.count)]) }
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
}
