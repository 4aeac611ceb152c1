import Linalg
import RNN

/// Everything measured for one configuration at one thread count, in the shape written
/// to `--json` (keys in snake_case: `tokens_per_second`, `percent_of_peak`, ...).
struct BenchResult: Codable {
    /// The configuration as the JSON shows it: `BenchConfiguration`'s own keys, then what
    /// follows from them (mode, steps and tokens per epoch, the data, the optimizer and the
    /// activations), so that a reader needs no copy of the bench's rules.
    struct Configuration: Codable {
        let setup: BenchConfiguration
        /// The corpus's seed (named in `data`; read back as 0, as it is not a key of its own).
        let seed: UInt64

        init(_ setup: BenchConfiguration, seed: UInt64) {
            self.setup = setup
            self.seed = seed
        }

        init(from decoder: Decoder) throws {
            self.init(try BenchConfiguration(from: decoder), seed: 0)
        }

        /// The name, with the cell when it is not the vanilla RNN: "ref", "ref/gru".
        var label: String { setup.label }

        private enum Derived: String, CodingKey {
            case mode, stepsPerEpoch, tokensPerEpoch, data, optimizer, nonlinearity
        }

        func encode(to encoder: Encoder) throws {
            try setup.encode(to: encoder)
            var c = encoder.container(keyedBy: Derived.self)
            try c.encode(setup.mode, forKey: .mode)
            try c.encode(setup.stepsPerEpoch, forKey: .stepsPerEpoch)
            try c.encode(setup.tokensPerEpoch, forKey: .tokensPerEpoch)
            try c.encode(
                setup.usesTutorialData
                    ? "tutorial sentences (3 x 15 characters), \(setup.stepsPerEpoch) full-batch steps per epoch"
                    : "synthetic Markov chain over \(setup.vocab) symbols, seed \(seed)", forKey: .data)
            try c.encode("adam", forKey: .optimizer)
            try c.encode(setup.cell == .rnn ? "tanh" : "sigmoid/tanh gates", forKey: .nonlinearity)
        }
    }

    struct Phase: Codable {
        var phase: String
        var seconds: Double
        /// Share of the profiled epochs' wall-clock time.
        var percent: Double
        /// The phase's GEMM FLOPs per token (`FlopModel.phaseFlopsPerToken`), nil for
        /// phases without GEMMs, and the rate they ran at while profiled.
        var flopsPerToken: Double?
        var gflops: Double?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(phase, forKey: .phase)
            try c.encode(seconds, forKey: .seconds)
            try c.encode(percent, forKey: .percent)
            try c.encode(flopsPerToken, forKey: .flopsPerToken)
            try c.encode(gflops, forKey: .gflops)
        }
    }

    var configuration: Configuration
    var threads: Int
    /// "batch" (the batch split across `workers` threads, single-threaded GEMMs) or
    /// "blas" (one step at a time, `threads` OpenBLAS threads inside each GEMM).
    var parallelism: String
    var workers: Int
    var build: String
    var cpu: String
    var processors: Int
    /// "openblas" or "onednn": the library that ran every GEMM.
    var gemmBackend: String
    /// "fp32" or "bf16": the arithmetic of the step's GEMMs (`--precision`).
    var precision: String
    /// The ISA oneDNN dispatches here (`avx512_core_amx`, `avx512_core_bf16`, ...): which
    /// bf16 path a machine gets.
    var onednnIsa: String
    /// "baseline", "avx2" or "avx512": the variant of the C kernels (activations, gates,
    /// softmax, Adam) that ran, and its display name.
    var kernelVariant: String
    var elementwiseKernels: String
    /// The FMA peak at this thread count (`FMAPeak`), how it was measured, and the
    /// achieved GFLOP/s as a percentage of it: the figure every rate is reported against.
    var fmaPeakGflops: Double
    var fmaPeakMethod: String
    var percentOfFmaPeak: Double
    /// Each backend's 1024³ sgemm peak at this thread count, and the achieved GFLOP/s as a
    /// percentage of each, keyed "openblas" and "onednn".
    var sgemmPeakGflopsByBackend: [String: Double]
    var percentOfSgemmPeakByBackend: [String: Double]
    /// The machine's 1-minute load average just before this thread count's runs.
    var loadAverageBefore: Double?
    /// The percentage of all processors other processes kept busy just before (0.5 s sample).
    var busyPercentBefore: Double?
    /// The percentage of all processors other processes used while this configuration ran:
    /// above ~20% its timings were disturbed.
    var othersCpuPercent: Double?
    /// The backend in use's sgemm peak (best sample) and its samples.
    var sgemmPeakGflops: Double
    var sgemmPeakSamples: [Double]
    /// The better of the two peak samples taken just before and just after this configuration.
    var sgemmLocalPeakGflops: Double
    var sgemmPeakMethod: String
    var epochs: Int
    var epochSeconds: [Double]
    var medianEpochSeconds: Double
    var tokensPerSecond: Double
    var flopsPerToken: Double
    var flopsFormula: String
    var achievedGflops: Double
    var percentOfPeak: Double
    var percentOfLocalPeak: Double
    var epochLosses: [Double]
    /// Number of profiled epochs (as many as cover half a second, at least one) and
    /// their mean seconds.
    var profiledEpochs: Int?
    var profiledEpochSeconds: Double?
    /// How much slower the profiled epochs were than the median unprofiled one.
    var profilerOverheadPercent: Double?
    /// One GEMM shape of a step timed alone (`GemmCeiling`).
    struct GemmShape: Codable {
        var what: String
        var m: Int, n: Int, k: Int
        var transposedA: Bool, transposedB: Bool
        var callsPerStep: Int
        var gflops: Double
    }

    /// The step's GEMMs timed alone on the backend in use: their rate, that rate as % of
    /// the backend's sgemm peak and of the FMA peak (the best the step could reach with
    /// nothing but GEMMs), the measured rate as % of it, and the shapes; nil with
    /// `--no-ceiling`.
    var gemmCeilingGflops: Double?
    var gemmCeilingPercentOfPeak: Double?
    var gemmCeilingPercentOfFmaPeak: Double?
    var percentOfGemmCeiling: Double?
    var gemmCeilingFlopsPerToken: Double?
    var gemmShapes: [GemmShape]?
    /// Per phase of `PhaseProfiler`, plus "other" (what no phase covers: zeroing
    /// gradients, copying the carried state, checking tokens, the profiler itself).
    var phases: [Phase]?

    init(
        config: BenchConfiguration, seed: UInt64, threads: Int, workers: Int, peaks: Peaks, localPeakGflops: Double,
        loadAverageBefore: Double?, busyPercentBefore: Double?, measurement m: EpochTimer.Measurement,
        ceiling: GemmCeiling?
    ) {
        let peakGflops = peaks.sgemm
        configuration = Configuration(config, seed: seed)
        self.threads = threads
        self.workers = workers
        parallelism = Parallelism.label(workers: workers)
        build = BuildConfiguration.name
        cpu = Machine.cpuModel
        processors = Machine.processors
        gemmBackend = GEMM.backend.rawValue
        precision = config.precision.rawValue
        onednnIsa = BF16Support.current.isa
        kernelVariant = KernelVariant.current.name
        elementwiseKernels = Machine.elementwiseKernels
        self.loadAverageBefore = loadAverageBefore
        self.busyPercentBefore = busyPercentBefore
        sgemmPeakGflops = peakGflops
        sgemmPeakSamples = peaks.sgemmSamples
        sgemmLocalPeakGflops = localPeakGflops
        sgemmPeakMethod = peaks.sgemmMethod
        fmaPeakGflops = peaks.fma
        fmaPeakMethod = peaks.fmaMethod
        sgemmPeakGflopsByBackend = peaks.sgemmByBackend
        epochs = m.epochSeconds.count
        epochSeconds = m.epochSeconds
        medianEpochSeconds = m.epochSeconds.median
        tokensPerSecond = Double(config.tokensPerEpoch) / medianEpochSeconds
        flopsPerToken = FlopModel.trainingFlopsPerToken(config)
        flopsFormula = FlopModel.formula
        achievedGflops = flopsPerToken * tokensPerSecond / 1e9
        percentOfPeak = 100 * achievedGflops / peakGflops
        percentOfLocalPeak = 100 * achievedGflops / localPeakGflops
        percentOfFmaPeak = 100 * achievedGflops / peaks.fma
        let achieved = achievedGflops
        percentOfSgemmPeakByBackend = peaks.sgemmByBackend.mapValues { 100 * achieved / $0 }
        epochLosses = m.epochLosses
        if let ceiling {
            gemmCeilingGflops = ceiling.gflops
            gemmCeilingPercentOfPeak = 100 * ceiling.gflops / peakGflops
            gemmCeilingPercentOfFmaPeak = 100 * ceiling.gflops / peaks.fma
            percentOfGemmCeiling = 100 * achievedGflops / ceiling.gflops
            gemmCeilingFlopsPerToken = ceiling.flopsPerToken
            gemmShapes = zip(ceiling.shapes, ceiling.secondsPerCall).map { s, seconds in
                GemmShape(
                    what: s.what, m: s.m, n: s.n, k: s.k, transposedA: s.transA == .transposed,
                    transposedB: s.transB == .transposed, callsPerStep: s.calls, gflops: s.flops / seconds / 1e9)
            }
        }
        othersCpuPercent = m.othersShare.map { 100 * $0 }
        if m.profiledEpochs > 0, m.profiledSeconds > 0 {
            let total = m.profiledSeconds
            profiledEpochs = m.profiledEpochs
            profiledEpochSeconds = total / Double(m.profiledEpochs)
            profilerOverheadPercent = 100 * (total / Double(m.profiledEpochs) / medianEpochSeconds - 1)
            let phaseFlops = FlopModel.phaseFlopsPerToken(config)
            let profiledTokens = Double(config.tokensPerEpoch * m.profiledEpochs)
            var list = PhaseProfiler.Phase.allCases.map { p -> Phase in
                let seconds = m.phaseSeconds[p] ?? 0
                let flops = phaseFlops[p].flatMap { $0 > 0 ? $0 : nil }
                return Phase(
                    phase: p.rawValue, seconds: seconds, percent: 100 * seconds / total, flopsPerToken: flops,
                    gflops: flops.flatMap { seconds > 0 ? $0 * profiledTokens / seconds / 1e9 : nil })
            }
            let covered = list.reduce(0) { $0 + $1.seconds }
            list.append(
                Phase(
                    phase: "other", seconds: total - covered, percent: 100 * (total - covered) / total,
                    flopsPerToken: nil, gflops: nil))
            phases = list
        }
    }

    /// Writes every key, with `null` for what was not measured (synthesized encoding
    /// would leave those keys out).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(threads, forKey: .threads)
        try c.encode(parallelism, forKey: .parallelism)
        try c.encode(workers, forKey: .workers)
        try c.encode(build, forKey: .build)
        try c.encode(cpu, forKey: .cpu)
        try c.encode(processors, forKey: .processors)
        try c.encode(gemmBackend, forKey: .gemmBackend)
        try c.encode(precision, forKey: .precision)
        try c.encode(onednnIsa, forKey: .onednnIsa)
        try c.encode(kernelVariant, forKey: .kernelVariant)
        try c.encode(elementwiseKernels, forKey: .elementwiseKernels)
        try c.encode(fmaPeakGflops, forKey: .fmaPeakGflops)
        try c.encode(fmaPeakMethod, forKey: .fmaPeakMethod)
        try c.encode(percentOfFmaPeak, forKey: .percentOfFmaPeak)
        try c.encode(sgemmPeakGflopsByBackend, forKey: .sgemmPeakGflopsByBackend)
        try c.encode(percentOfSgemmPeakByBackend, forKey: .percentOfSgemmPeakByBackend)
        try c.encode(loadAverageBefore, forKey: .loadAverageBefore)
        try c.encode(busyPercentBefore, forKey: .busyPercentBefore)
        try c.encode(othersCpuPercent, forKey: .othersCpuPercent)
        try c.encode(sgemmPeakGflops, forKey: .sgemmPeakGflops)
        try c.encode(sgemmPeakSamples, forKey: .sgemmPeakSamples)
        try c.encode(sgemmLocalPeakGflops, forKey: .sgemmLocalPeakGflops)
        try c.encode(sgemmPeakMethod, forKey: .sgemmPeakMethod)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(epochSeconds, forKey: .epochSeconds)
        try c.encode(medianEpochSeconds, forKey: .medianEpochSeconds)
        try c.encode(tokensPerSecond, forKey: .tokensPerSecond)
        try c.encode(flopsPerToken, forKey: .flopsPerToken)
        try c.encode(flopsFormula, forKey: .flopsFormula)
        try c.encode(achievedGflops, forKey: .achievedGflops)
        try c.encode(percentOfPeak, forKey: .percentOfPeak)
        try c.encode(percentOfLocalPeak, forKey: .percentOfLocalPeak)
        try c.encode(epochLosses, forKey: .epochLosses)
        try c.encode(gemmCeilingGflops, forKey: .gemmCeilingGflops)
        try c.encode(gemmCeilingPercentOfPeak, forKey: .gemmCeilingPercentOfPeak)
        try c.encode(gemmCeilingPercentOfFmaPeak, forKey: .gemmCeilingPercentOfFmaPeak)
        try c.encode(percentOfGemmCeiling, forKey: .percentOfGemmCeiling)
        try c.encode(gemmCeilingFlopsPerToken, forKey: .gemmCeilingFlopsPerToken)
        try c.encode(gemmShapes, forKey: .gemmShapes)
        try c.encode(profiledEpochs, forKey: .profiledEpochs)
        try c.encode(profiledEpochSeconds, forKey: .profiledEpochSeconds)
        try c.encode(profilerOverheadPercent, forKey: .profilerOverheadPercent)
        try c.encode(phases, forKey: .phases)
    }
}
