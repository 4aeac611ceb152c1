import RNN
import RNNTraining

/// How a bench run with `n` threads uses them.
///
/// - `blas`: one training step at a time, each GEMM on `n` threads of the GEMM backend.
/// - `batch`: the batch is split across `n` worker threads (`DataParallelModel`), each
///   running a whole step on its slice with single-threaded GEMMs.
/// - `auto`: `batch` when `BatchSplit.recommendedWorkers` says so (at least 16
///   sequences per worker, a step big enough to split, and with oneDNN recurrent weights
///   under 8 MiB), else `blas` (seed's tiny step; large's GRU and LSTM with oneDNN).
///
/// ```swift
/// Parallelism.auto.workers(for: BenchConfiguration.named("ref")!, threads: 2)   // 2
/// Parallelism.auto.workers(for: BenchConfiguration.named("seed")!, threads: 2)  // 1
/// Parallelism.auto.workers(for: BenchConfiguration.named("wide")!, threads: 2)  // 2
/// ```
enum Parallelism: String, CaseIterable, Sendable {
    case auto, batch, blas

    /// The number of batch slices (worker threads) for `config` at `threads` threads:
    /// 1 means no split (the GEMM backend uses the threads inside each GEMM).
    func workers(for config: BenchConfiguration, threads: Int) -> Int {
        switch self {
        case .blas: return 1
        case .batch: return min(threads, config.batch)
        case .auto:
            return BatchSplit.recommendedWorkers(
                threads: threads, configuration: config.model, batchSize: config.batch,
                steps: config.seqLength)
        }
    }

    /// How a result ran, for the tables and the JSON: "blas" or "batch".
    static func label(workers: Int) -> String { workers > 1 ? "batch" : "blas" }
}
