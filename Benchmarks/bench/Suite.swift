import Linalg

/// The suite of configurations at one thread count, in one process: sets the thread
/// count, warms the GEMM backend up, measures the FMA peak (`FMAPeak`) and the other
/// backend's sgemm peak before the first configuration and after the last, samples the
/// backend in use's sgemm peak before every configuration and after the last (the best
/// sample of each is its peak: a moment of load from other processes must not lower it and
/// so inflate the percentages), and times each configuration with `EpochTimer`, splitting
/// its batches across `parallelism.workers(for:threads:)` worker threads.
///
/// ```swift
/// let suite = Suite(configurations: BenchConfiguration.defaults, threads: 2, parallelism: .auto,
///                   epochs: 5, profile: true, ceiling: true, seed: 0)
/// let run = try suite.run()
/// print(Report.suite(run))
/// ```
/// The peaks one thread count's results are compared with.
struct Peaks {
    /// `FMAPeak` at the thread count: what no GEMM can exceed.
    var fma: Double
    var fmaMethod: String
    /// The backend in use's best 1024³ sgemm sample, all samples, and how they were taken.
    var sgemm: Double
    var sgemmSamples: [Double]
    var sgemmMethod: String
    /// Each backend's best sample, by `GEMMBackend.rawValue`.
    var sgemmByBackend: [String: Double]
}

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
        var fmaPeak: Double
        var fmaPeakMethod: String
        /// Each backend's best 1024³ sgemm sample, by `GEMMBackend.rawValue`.
        var sgemmPeaks: [String: Double]
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
        ComputeThreads.count = n
        ComputeThreads.warmUp()
        let backend = GEMM.backend
        let other: GEMMBackend = backend == .oneDNN ? .openBLAS : .oneDNN
        var peakSamples: [Double] = [], fmaSamples: [Double] = [], otherSamples: [Double] = []
        func samplePeak() {
            peakSamples.append(ComputeThreads.measureSgemmPeak(threads: n))
            ComputeThreads.count = n
            Log.error("\(label) \(backend.displayName) sgemm peak \(Report.fixed(peakSamples.last!, 1)) GFLOP/s")
        }
        func sampleMachine() {
            fmaSamples.append(FMAPeak.measure(threads: n))
            otherSamples.append(ComputeThreads.measureSgemmPeak(threads: n, backend: other))
            ComputeThreads.count = n
            Log.error(
                "\(label) FMA peak (\(KernelVariant.bestSupported.displayName)) \(Report.fixed(fmaSamples.last!, 1)) GFLOP/s, "
                    + "\(other.displayName) sgemm peak \(Report.fixed(otherSamples.last!, 1)) GFLOP/s")
        }
        sampleMachine()
        var measured: [(BenchConfiguration, Int, EpochTimer.Measurement, GemmCeiling?)] = []
        for c in configurations {
            samplePeak()
            let workers = parallelism.workers(for: c, threads: n)
            if workers > 1 { Log.error("\(label) \(c.label): batch split across \(workers) worker threads") }
            let timer = try EpochTimer(config: c, seed: seed, workers: workers)
            let m = try timer.measure(epochs: epochs, profile: profile) { what, seconds, loss in
                Log.error("\(label) \(c.label) \(what): \(Report.seconds(seconds)) s, loss \(Report.fixed(loss, 3))")
            }
            let ceiling = self.ceiling ? GemmCeiling.measure(c, workers: workers, precision: c.precision) : nil
            if let ceiling { Log.error("\(label) \(c.label) GEMMs alone: \(Report.fixed(ceiling.gflops, 1)) GFLOP/s") }
            measured.append((c, workers, m, ceiling))
        }
        samplePeak()
        sampleMachine()
        let peak = peakSamples.max()!, fmaPeak = fmaSamples.max()!
        let method =
            "\(backend.displayName) 1024^3 sgemm, best of \(peakSamples.count) samples (each the best of 5 calls) "
            + "taken before each configuration and after the last; range "
            + "\(Report.fixed(peakSamples.min()!, 1))-\(Report.fixed(peak, 1))"
        let fmaMethod =
            "\(n) thread\(n == 1 ? "" : "s") of independent \(KernelVariant.bestSupported.displayName) FMAs, "
            + "best of 2 samples (each the best of 3 rounds) taken before the first configuration and after the last; range "
            + "\(Report.fixed(fmaSamples.min()!, 1))-\(Report.fixed(fmaPeak, 1))"
        let peaks = Peaks(
            fma: fmaPeak, fmaMethod: fmaMethod, sgemm: peak, sgemmSamples: peakSamples, sgemmMethod: method,
            sgemmByBackend: [backend.rawValue: peak, other.rawValue: otherSamples.max()!])
        let results = measured.enumerated().map { i, item in
            BenchResult(
                config: item.0, seed: seed, threads: n, workers: item.1, peaks: peaks,
                localPeakGflops: max(peakSamples[i], peakSamples[i + 1]),
                loadAverageBefore: loadBefore, busyPercentBefore: busyBefore.map { 100 * $0 },
                measurement: item.2, ceiling: item.3)
        }
        return Run(
            threads: n, peak: peak, peakMethod: method, fmaPeak: fmaPeak, fmaPeakMethod: fmaMethod,
            sgemmPeaks: peaks.sgemmByBackend, busyWarning: busyWarning, results: results)
    }
}
