import Linalg
import RNN

/// How many worker threads `DataParallelModel` should split a training step across.
public enum BatchSplit {
    /// How many workers to split a training step across on `threads` cores: as many as
    /// give each worker at least `minimumRowsPerWorker` (16) sequences, at most `threads`;
    /// 1 (no split, the GEMM backend's threads inside each GEMM) when that is fewer than 2,
    /// when the step is too small to pay for a fork and join (under ~5 MFLOP per worker,
    /// about 0.1 ms), as the tutorial's, or when oneDNN runs the GEMMs and one layer's
    /// recurrent weights `W_hh` reach `largeRecurrentWeightBytes` (8 MiB).
    ///
    /// The split pays where each worker's share of a step is a whole, independent step;
    /// it loses where every worker must stream a large `W_hh` that the backend's own
    /// threads would split between them (the measurements are in the body).
    ///
    /// - Parameters:
    ///   - threads: the cores the step may use.
    ///   - batchSize: the step's sequences, `B`.
    ///   - flopsPerStep: the step's training FLOPs (`tokens × FLOPs per token`).
    ///   - recurrentWeights: the elements of one layer's `W_hh` (`G·H²`); 0 if unknown.
    ///   - backend: the GEMM backend the step runs on.
    public static func recommendedWorkers(
        threads: Int, batchSize: Int, flopsPerStep: Double,
        recurrentWeights: Int = 0, backend: GEMMBackend = GEMM.backend
    ) -> Int {
        // Measured on 2 cores, the split against the backend's 2 threads inside each GEMM:
        // - OpenBLAS (AMD EPYC Zen 3, alternating rounds of one process, 2 s apart so that
        //   OpenBLAS's idle threads have stopped spinning): 1.98x (H 128), 1.23x (H 256),
        //   1.03x (3 layers), 1.12x (H 512), 1.09x (H 1024) for the vanilla RNN; 1.00–1.04x
        //   for the LSTM at H 256–1024. Never clearly slower, so the hidden size does not
        //   matter; fewer rows per worker make each worker repack the recurrent weights for
        //   less work, hence the floor (measured with 2 workers only).
        // - oneDNN (AMD EPYC Zen 5, AVX-512, best of 2 alternating runs each): 1.00–1.29x for
        //   every cell at H 128–512 (3 layers included), but at H 1024 0.99x (rnn, W_hh
        //   4 MiB), 0.91x (gru, 12 MiB) and 0.86x (lstm, 16 MiB): each worker streams the
        //   whole `W_hh` every step, while oneDNN's two threads each stream half of it.
        let workers = min(threads, batchSize / minimumRowsPerWorker)
        guard workers > 1 else { return 1 }
        if backend == .oneDNN && recurrentWeights * MemoryLayout<Float>.size >= largeRecurrentWeightBytes { return 1 }
        return flopsPerStep / Double(workers) >= 5e6 ? workers : 1
    }

    /// The size of one layer's recurrent weights from which, with oneDNN, the backend's
    /// own threads beat the batch split (see `recommendedWorkers`).
    public static let largeRecurrentWeightBytes = 8 << 20

    /// The fewest sequences per worker `recommendedWorkers` splits a batch into.
    public static let minimumRowsPerWorker = 16

    /// `recommendedWorkers` for training a model of `configuration` on batches of
    /// `batchSize` sequences of `steps` steps, with the step's FLOPs from the
    /// configuration's own estimate (`ModelConfiguration.trainingFlops`).
    public static func recommendedWorkers<C: ModelConfiguration>(
        threads: Int, configuration: C, batchSize: Int, steps: Int,
        backend: GEMMBackend = GEMM.backend
    ) -> Int {
        recommendedWorkers(
            threads: threads, batchSize: batchSize,
            flopsPerStep: configuration.trainingFlops(batchSize: batchSize, steps: steps),
            recurrentWeights: configuration.recurrent.recurrentWeightCount, backend: backend)
    }
}
