import Linalg

/// The suite of configurations at one thread count, in one process: sets the OpenBLAS
/// thread count, warms it up, samples the sgemm peak before every configuration and after
/// the last (the best sample is the peak: a moment of load from other processes must not
/// lower it and so inflate "% peak"), and times each configuration with `EpochTimer`,
/// splitting its batches across `parallelism.workers(for:threads:)` worker threads.
///
/// ```swift
/// let suite = Suite(configurations: BenchConfiguration.defaults, threads: 2, parallelism: .auto,
///                   epochs: 5, profile: true, ceiling: true, seed: 0)
/// let run = try suite.run()
/// print(Report.suite(run))
/// ```
struct Suite {
    var configurations: [BenchConfiguration]
    var threads: Int
    var parallelism: Parallelism
    var epochs: Int
    var profile: Bool
    /// Also time each configuration's GEMM shapes alone (`GemmCeiling`).
    var ceiling: Bool
    var seed: UInt64

    struct Run {
        var threads: Int
        var peak: Double
        var peakMethod: String
        /// Printed when other processes were using the machine just before the run.
        var busyWarning: String?
        var results: [BenchResult]
    }

    func run() throws -> Run {
        let n = threads
        let label = "[\(n) thread\(n == 1 ? "" : "s")]"
        let loadBefore = Machine.loadAverage
        let busyBefore = Machine.busyFraction()
        let busyWarning = Machine.busyWarning(busyFraction: busyBefore, loadAverage: loadBefore)
        if let busyWarning { Log.error(busyWarning) }
        BLASThreads.count = n
        BLASThreads.warmUp()
        var peakSamples: [Double] = []
        func samplePeak() {
            peakSamples.append(BLASThreads.measureSgemmPeak(threads: n))
            BLASThreads.count = n
            Log.error("\(label) sgemm peak \(Report.fixed(peakSamples.last!, 1)) GFLOP/s")
        }
        var measured: [(BenchConfiguration, Int, EpochTimer.Measurement, GemmCeiling?)] = []
        for c in configurations {
            samplePeak()
            let workers = parallelism.workers(for: c, threads: n)
            if workers > 1 { Log.error("\(label) \(c.label): batch split across \(workers) worker threads") }
            let timer = EpochTimer(config: c, seed: seed, workers: workers)
            let m = try timer.measure(epochs: epochs, profile: profile) { what, seconds, loss in
                Log.error("\(label) \(c.label) \(what): \(Report.seconds(seconds)) s, loss \(Report.fixed(loss, 3))")
            }
            let ceiling = self.ceiling ? GemmCeiling.measure(c, workers: workers) : nil
            if let ceiling { Log.error("\(label) \(c.label) GEMMs alone: \(Report.fixed(ceiling.gflops, 1)) GFLOP/s") }
            measured.append((c, workers, m, ceiling))
        }
        samplePeak()
        let peak = peakSamples.max()!
        let method = "OpenBLAS 1024^3 sgemm, best of \(peakSamples.count) samples (each the best of 5 calls) "
            + "taken before each configuration and after the last; range "
            + "\(Report.fixed(peakSamples.min()!, 1))-\(Report.fixed(peak, 1))"
        let results = measured.enumerated().map { i, item in
            BenchResult(config: item.0, seed: seed, threads: n, workers: item.1, peakGflops: peak, peakSamples: peakSamples,
                        localPeakGflops: max(peakSamples[i], peakSamples[i + 1]), peakMethod: method,
                        loadAverageBefore: loadBefore, busyPercentBefore: busyBefore.map { 100 * $0 },
                        measurement: item.2, ceiling: item.3)
        }
        return Run(threads: n, peak: peak, peakMethod: method, busyWarning: busyWarning, results: results)
    }
}
