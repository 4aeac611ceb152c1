import ArgumentParser
import Foundation
import Linalg
import RNN
import RNNTraining

/// `swift run -c release bench`: times training epochs of the character model for a suite
/// of configurations and reports tokens/s, GFLOP/s and their share of the FMA peak and of
/// each GEMM backend's sgemm peak, all measured by this process at the same thread count.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time RNN training epochs: tokens/s, GFLOP/s and % of the measured FMA and sgemm peaks.",
        discussion: """
            Each configuration trains the character model (token input, a vanilla tanh RNN, \
            GRU or LSTM stack (--cell), Linear output, softmax cross-entropy, Adam, global-norm \
            clipping at 5) and times \
            whole epochs in this process: the GEMM backend (--gemm) is warmed up and one untimed step runs \
            first; then --epochs epochs are timed without the phase profiler, and one extra \
            epoch (or as many as cover 0.5 s) runs with it for the per-phase breakdown \
            (percent of the profiled time).

            Configurations (V vocab, H hidden, L layers, B batch, T sequence length):
            \(Bench.configurationList)
              bidir  a bidirectional classifier, not a character model (see BidirectionalBench): \
            dense 64-wide input, 2 bidirectional layers x H 256, B 32, T 64, 10 classes, \
            GRU and LSTM (--cell), 1 and all threads by default (--threads); run it alone.
              seq2seq  an encoder-decoder with general attention, not a character model (see \
            Seq2SeqBench): training tokens/s and beam-5 sources/s, H 256, B 64, source length \
            30, target length 12, GRU and LSTM (--cell), 1 and all threads; run it alone.

            Truncated BPTT: the synthetic corpus (a seeded Markov chain over V symbols) is \
            split into B streams; an epoch trains every T-step chunk in order, carrying the \
            hidden state, Adam lr 2e-3. `seed` is the tutorial's example: an epoch is its \
            whole training, 100 full-batch steps on the three sentences, Adam lr 0.01 \
            (--tokens does not apply to it; overriding its V, B or T uses a synthetic \
            batch of that shape).

            --cell gru or lstm runs the same configurations with that cell (PyTorch's nn.GRU \
            and nn.LSTM equations and initialization). A gated cell does G = 3 (GRU) or 4 \
            (LSTM) times the recurrent work per token, so its default corpus has 1/G of the \
            chunks and an epoch takes about as long as the vanilla one.

            FLOP model: \(FlopModel.explanation)

            Per phase: input projection 2GH²(L−1) (layers above 0), forward and backward \
            recurrence 2GH²L each, weight gradients 2GH² + 6GH²(L−1), output layer + loss 6HV.

            GFLOP/s = FLOPs/token x tokens/s (median epoch). "% FMA" compares it with the \
            FMA peak (Linalg's FMAPeak: independent fused multiply-adds in the widest vector \
            registers the CPU has, AVX-512 where present, on as many threads), measured \
            before the first configuration and after the last: what no GEMM can exceed, \
            and the figure to judge the machine's use by. "% oneDNN" and "% OpenBLAS" compare \
            it with each backend's 1024^3 sgemm at the same thread count (best of 5 calls): \
            the backend in use is sampled before every configuration and after the last, the \
            other with the FMA peak; the best sample is used, so that load from other \
            processes does not lower a peak. "% local" compares with the better of the two \
            samples of the backend in use around the configuration instead: on a shared \
            machine (or VM) whose speed drifts, the fairer reference.

            "ceiling" is the best % of the FMA peak the step could reach if only its GEMMs took \
            time: each GEMM shape of the step (per-step [B,H]x[H,GH], the all-steps weight \
            gradients, the output layer's N = V products, ...) is timed alone at the same \
            thread count, and the model's FLOPs over their summed time is compared with the \
            peak. "% ceil" is the measured GFLOP/s as % of that rate: the share of the \
            reachable speed the whole step gets. --json lists each shape's GFLOP/s.

            With several threads (--threads 2), --parallelism batch (the default, auto, \
            picks it when each worker gets at least 16 sequences and a step is big enough \
            to split: every configuration but seed) splits each batch across that many \
            worker threads (DataParallelModel: each trains its slice of the \
            sequences with single-threaded GEMMs, the gradients are summed); blas runs one \
            step at a time with the GEMM backend's threads inside each GEMM. The "split" column \
            says which ran; the ceiling is then measured the same way (each worker's GEMM \
            shapes, run at the same time on every worker thread).

            "others" is the share of all processors that other processes used while a \
            configuration ran (/proc/stat minus this process): above ~20% its timings are \
            disturbed; rerun on a quiet machine.

            Run with `swift run -c release bench` (a debug build prints a warning: its \
            timings are not representative).
            """)

    @Option(
        name: .customLong("config"), parsing: .singleValue,
        help: ArgumentHelp(
            "Configurations to run (repeatable or comma-separated; default: all).",
            valueName: "name"))
    var configNames: [String] = []

    @Option(
        name: .customLong("cell"), parsing: .singleValue,
        help: ArgumentHelp(
            "Recurrent cells to run each configuration with: rnn, gru, lstm or all "
                + "(repeatable or comma-separated; default: rnn).", valueName: "cell"))
    var cellArguments: [String] = []

    @Option(help: "Override the vocabulary size V (>= 2).")
    var vocab: Int?

    @Option(help: "Override the hidden size H.")
    var hidden: Int?

    @Option(help: "Override the number of layers L.")
    var layers: Int?

    @Option(help: "Override the batch size B (parallel streams).")
    var batch: Int?

    @Option(name: .customLong("seq-length"), help: "Override the truncated-BPTT length T.")
    var seqLength: Int?

    @Option(help: "Timed epochs per configuration (the median is reported).")
    var epochs: Int = 5

    @Option(
        help: ArgumentHelp(
            "Corpus size in tokens (default: per configuration; at least B*(T+1)).",
            valueName: "n"))
    var tokens: Int?

    @Option(
        name: .customLong("threads"), parsing: .singleValue,
        help: ArgumentHelp(
            "Thread counts to run with, e.g. 2 or 1,2 (default: all cores).",
            valueName: "n"))
    var threadArguments: [String] = []

    @Option(
        help: ArgumentHelp(
            "Library for the matrix products: openblas, onednn or auto (oneDNN where it runs "
                + "AVX-512 code, else OpenBLAS). Default: the environment variable SWIFT_RNN_GEMM, "
                + "else auto.", valueName: "backend"))
    var gemm: GEMMBackend?

    @Option(
        help: ArgumentHelp(
            "How to use several threads: batch (split each batch across worker threads, "
                + "single-threaded GEMMs), blas (the GEMM backend's threads inside each GEMM) or auto "
                + "(batch when each worker gets at least 16 sequences and a step is big enough "
                + "to split; else blas).", valueName: "mode"))
    var parallelism: String = Parallelism.auto.rawValue

    @Option(
        help: ArgumentHelp(
            "Write the results as a JSON array (one object per configuration and thread count).",
            valueName: "file"))
    var json: String?

    @Option(
        help: ArgumentHelp(
            "The arithmetic of the matrix products (training, and --inference): fp32, or bf16 (bf16 operands, float accumulation; needs AVX-512 BF16 or AMX). Default: the environment variable SWIFT_RNN_PRECISION, else fp32.",
            valueName: "fp32|bf16"))
    var precision: String?

    /// `--precision`, else `SWIFT_RNN_PRECISION`, else fp32 (`validate()` refused bad values).
    var resolvedPrecision: Precision { precision.flatMap(Precision.init(rawValue:)) ?? .initial }

    @Option(help: "Seed of the model initialization and the synthetic corpus.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("no-profile"), help: "Skip the extra profiled epoch (no per-phase breakdown).")
    var noProfile = false

    @Flag(name: .customLong("no-ceiling"), help: "Skip timing each configuration's GEMM shapes alone (no \"ceiling\" columns).")
    var noCeiling = false

    @Flag(
        help:
            "Under mpirun -np N: the scaling of data-parallel training over MPI, N ranks x 1 thread against 1 process x 1 thread and x N workers (tokens/s, efficiency, the all-reduce's share); see DistributedBench."
    )
    var distributed = false

    @Flag(
        name: .customLong("gemm-precisions"),
        help:
            "Time every GEMM shape of each configuration's training step alone in fp32 and in bf16 (bf16 inputs, float accumulation; needs AVX-512 BF16 or AMX), beside the FMA and bf16 dot-product peaks; --threads sets the GEMM library's threads."
    )
    var gemmPrecisions = false

    @Flag(help: "Print the resolved configurations (and with --json write them) without running.")
    var list = false

    @Flag(
        help: ArgumentHelp(
            "Measure inference instead of training, per cell (default: all three) and thread count (default: 1 and all cores; more than one splits each step across a WorkerTeam): one-stream eval, single-sample and 32-sample generation tokens/s of a V 76, H 256, L 2 character model (--vocab, --hidden, --layers override), against the bound of reading one step's weights (each thread its share) at the measured bandwidth, and the FMA peak."
        ))
    var inference = false

    static var configurationList: String {
        BenchConfiguration.defaults.map { c in
            "  \(c.name.padding(toLength: 6, withPad: " ", startingAt: 0)) V \(c.vocab), H \(c.hidden), "
                + "L \(c.layers), B \(c.batch), T \(c.seqLength), "
                + (c.fullBatchSteps.map { "\($0) full-batch steps/epoch" } ?? "corpus of \(c.corpusTokens) tokens")
        }.joined(separator: "\n")
    }

    // MARK: Option resolution

    var overrides: ConfigurationOverrides {
        ConfigurationOverrides(
            vocab: vocab, hidden: hidden, layers: layers, batch: batch,
            seqLength: seqLength, tokens: tokens)
    }

    /// The cells, in the order given, without repeats; `all` stands for rnn, gru, lstm.
    func cells() throws -> [RecurrentCell] {
        let parts = cellArguments.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if parts.isEmpty { return [.rnn] }
        var cells: [RecurrentCell] = []
        for p in parts {
            let named: [RecurrentCell]
            if p == "all" {
                named = RecurrentCell.allCases
            } else if let cell = RecurrentCell(rawValue: p) {
                named = [cell]
            } else {
                throw ValidationError("Unknown cell '\(p)'. --cell takes rnn, gru, lstm or all (e.g. --cell gru,lstm).")
            }
            for cell in named where !cells.contains(cell) { cells.append(cell) }
        }
        return cells
    }

    /// The configuration names given (without repeats of the split).
    var names: [String] {
        configNames.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Whether `--config bidir` (the bidirectional classifier) was asked for.
    var bidirectional: Bool { names.contains(BidirectionalBench.name) }

    /// Whether `--config seq2seq` (the encoder-decoder) was asked for.
    var sequenceToSequence: Bool { names.contains(Seq2SeqBench.name) }

    /// The selected configurations, each with every selected cell (cells vary fastest),
    /// with the overrides applied.
    func resolvedConfigurations() throws -> [BenchConfiguration] {
        let names = self.names
        if bidirectional || sequenceToSequence { return [] }
        var selected: [BenchConfiguration] = []
        for name in names.isEmpty ? BenchConfiguration.defaultNames : names {
            guard let c = BenchConfiguration.named(name) else {
                throw ValidationError(
                    "Unknown configuration '\(name)'. Known: "
                        + BenchConfiguration.defaultNames.joined(separator: ", ") + ".")
            }
            if !selected.contains(where: { $0.name == name }) { selected.append(c) }
        }
        let cells = try cells()
        let precision = resolvedPrecision
        return selected.flatMap { c in
            cells.map {
                var resolved = overrides.applied(to: c.forCell($0))
                resolved.precision = precision
                return resolved
            }
        }
    }

    /// The thread counts, in the order given, without repeats.
    func threadCounts() throws -> [Int] {
        let parts = threadArguments.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if parts.isEmpty { return [ComputeThreads.processorCount] }
        var counts: [Int] = []
        for p in parts {
            guard let n = Int(p), n >= 1, n <= 256 else {
                throw ValidationError("--threads takes whole numbers from 1 to 256 (e.g. 2 or 1,2), got '\(p)'.")
            }
            if !counts.contains(n) { counts.append(n) }
        }
        return counts
    }

    /// `--parallelism`, case-insensitive.
    func resolvedParallelism() throws -> Parallelism {
        guard let p = Parallelism(rawValue: parallelism.lowercased()) else {
            throw ValidationError("Unknown --parallelism '\(parallelism)'. It takes auto, batch or blas.")
        }
        return p
    }

    mutating func validate() throws {
        if let precision {
            guard let chosen = Precision(rawValue: precision) else {
                throw ValidationError("Unknown --precision '\(precision)'. It takes fp32 or bf16.")
            }
            do { try chosen.check() } catch { throw ValidationError("--precision bf16: \(error)") }
        } else if let problem = Precision.environmentProblem {
            throw ValidationError(problem + "; unset it or pass --precision.")
        }
        func positive(_ value: Int?, _ option: String, minimum: Int = 1) throws {
            if let v = value, v < minimum {
                throw ValidationError("--\(option) must be at least \(minimum), got \(v).")
            }
        }
        try positive(vocab, "vocab", minimum: 2)
        try positive(hidden, "hidden")
        try positive(layers, "layers")
        try positive(batch, "batch")
        try positive(seqLength, "seq-length")
        try positive(tokens, "tokens", minimum: 2)
        if let v = vocab, v > Int(Int32.max) { throw ValidationError("--vocab \(v) does not fit in Int32 tokens.") }
        guard (1...10_000).contains(epochs) else {
            throw ValidationError("--epochs must be between 1 and 10000, got \(epochs).")
        }
        _ = try threadCounts()
        _ = try resolvedParallelism()
        if bidirectional {
            guard names.allSatisfy({ $0 == BidirectionalBench.name }) else {
                throw ValidationError("--config bidir (a classifier, not a character model) runs alone; run the others in another call.")
            }
            if inference || distributed || vocab != nil || tokens != nil {
                throw ValidationError(
                    "--config bidir takes --cell, --hidden, --layers, --batch, --seq-length, --threads and --epochs only.")
            }
        }
        if sequenceToSequence {
            guard names.allSatisfy({ $0 == Seq2SeqBench.name }) else {
                throw ValidationError(
                    "--config seq2seq (an encoder-decoder, not a character model) runs alone; run the others in another call.")
            }
            if inference || distributed || vocab != nil || tokens != nil || seqLength != nil {
                throw ValidationError("--config seq2seq takes --cell, --hidden, --layers, --batch and --threads only.")
            }
        }
        do { _ = try GEMM.choice(option: gemm) } catch { throw ValidationError("\(error); unset it or pass --gemm.") }
        if let problem = KernelVariant.environmentProblem { throw ValidationError(problem + ".") }
        for c in try resolvedConfigurations() where c.fullBatchSteps == nil && c.chunksPerStream < 1 {
            throw ValidationError(
                "\(c.label): a corpus of \(c.corpusTokens) tokens is too small for B \(c.batch), "
                    + "T \(c.seqLength); --tokens must be at least B*(T+1) = \(c.minimumCorpusTokens).")
        }
        if let path = json {
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--json \(path): directory \(dir) does not exist.")
            }
        }
    }

    // MARK: Running

    func run() throws {
        if !BuildConfiguration.isRelease { Log.error(BuildConfiguration.debugWarning) }
        let configs = try resolvedConfigurations()
        let threads = try threadCounts()
        if tokens != nil, configs.contains(where: { $0.fullBatchSteps != nil }) {
            Log.error("note: --tokens does not apply to full-batch configurations (seed).")
        }
        if distributed && !list {
            GEMM.select((try? GEMM.choice(option: gemm)) ?? .automatic)  // validate() refused a bad one
            return try DistributedBench(configurations: configs.filter { $0.fullBatchSteps == nil }, epochs: epochs, seed: seed).run()
        }
        if list { return try listConfigurations(configs) }
        GEMM.select((try? GEMM.choice(option: gemm)) ?? .automatic)  // validate() refused a bad one
        if inference { return try runInference() }
        if gemmPrecisions {
            let bench = PrecisionGemmBench(configurations: configs.filter { $0.fullBatchSteps == nil }, threads: threads)
            let results: [PrecisionGemmBench.Result]
            do { results = try bench.run() } catch { throw ValidationError("--gemm-precisions: \(error)") }
            return try report(PrecisionGemmBench.report(results), results, kind: "GEMM precision")
        }
        if bidirectional { return try runBidirectional() }
        if sequenceToSequence { return try runSequenceToSequence() }
        if let over = threads.first(where: { $0 > ComputeThreads.processorCount }) {
            Log.error("note: \(over) threads is more than the \(ComputeThreads.processorCount) processors this machine has.")
        }

        var all: [BenchResult] = []
        for n in threads {
            let suite = Suite(
                configurations: configs, threads: n, parallelism: try resolvedParallelism(),
                epochs: epochs, profile: !noProfile, ceiling: !noCeiling, seed: seed)
            let run = try suite.run()
            print(Report.suite(run))
            all += run.results
        }
        print()
        print("FLOPs/token = \(FlopModel.formula) (see --help); tokens/s and GFLOP/s use the median epoch.")
        if !BuildConfiguration.isRelease { print(BuildConfiguration.debugWarning) }
        if let path = json {
            try Report.writeJSON(all, to: path)
            Log.error("wrote \(all.count) result\(all.count == 1 ? "" : "s") to \(path)")
        }
    }

    /// `--inference`: `InferenceBench` for the cells given (all when none are).
    func runInference() throws {
        let processors = ComputeThreads.processorCount
        let threads = threadArguments.isEmpty ? Array(Set([1, processors])).sorted() : try threadCounts()
        let bench = InferenceBench(
            cells: cellArguments.isEmpty ? RecurrentCell.allCases : try cells(), threads: threads,
            vocab: vocab ?? 76, hidden: hidden ?? 256, layers: layers ?? 2, seed: seed,
            precision: resolvedPrecision)
        let results: [InferenceBench.Result]
        do { results = try bench.run() } catch { throw ValidationError("--precision: \(error)") }
        try report(InferenceBench.report(results), results, kind: "inference")
    }

    /// Prints `table` (with the debug-build warning) and writes `results` to `--json`.
    func report<Result: Encodable>(_ table: String, _ results: [Result], kind: String) throws {
        print(table)
        if !BuildConfiguration.isRelease { print(BuildConfiguration.debugWarning) }
        if let path = json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: path))
            Log.error("wrote \(results.count) \(kind) result\(results.count == 1 ? "" : "s") to \(path)")
        }
    }

    /// `--config bidir`: `BidirectionalBench` for the cells given (GRU and LSTM when none are).
    func runBidirectional() throws {
        let processors = ComputeThreads.processorCount
        var bench = BidirectionalBench()
        bench.precision = resolvedPrecision
        bench.cells = cellArguments.isEmpty ? [.gru, .lstm] : try cells()
        bench.threads = threadArguments.isEmpty ? Array(Set([1, processors])).sorted() : try threadCounts()
        if let hidden { bench.hidden = hidden }
        if let layers { bench.layers = layers }
        if let batch { bench.batch = batch }
        if let seqLength { bench.steps = seqLength }
        bench.epochs = epochs
        bench.seed = seed
        let results = try bench.run()
        try report(BidirectionalBench.report(results), results, kind: "bidirectional")
    }

    /// `--config seq2seq`: `Seq2SeqBench` for the cells given (GRU and LSTM when none are).
    func runSequenceToSequence() throws {
        let processors = ComputeThreads.processorCount
        var bench = Seq2SeqBench()
        bench.precision = resolvedPrecision
        bench.cells = cellArguments.isEmpty ? [.gru, .lstm] : try cells()
        bench.threads = threadArguments.isEmpty ? Array(Set([1, processors])).sorted() : try threadCounts()
        if let hidden { bench.hidden = hidden }
        if let layers { bench.layers = layers }
        if let batch { bench.batch = batch }
        bench.seed = seed
        let results = try bench.run()
        try report(Seq2SeqBench.report(results), results, kind: "seq2seq")
    }

    func listConfigurations(_ configs: [BenchConfiguration]) throws {
        let rows = configs.map { c in
            [
                c.name, c.cell.rawValue, "\(c.vocab)", "\(c.hidden)", "\(c.layers)", "\(c.batch)", "\(c.seqLength)",
                c.mode, Report.grouped(Double(c.corpusTokens)), "\(c.stepsPerEpoch)",
                Report.grouped(Double(c.tokensPerEpoch)),
                Report.grouped(FlopModel.trainingFlopsPerToken(c)), "\(c.learningRate)",
            ]
        }
        print(
            Report.table(
                [
                    "config", "cell", "V", "H", "L", "B", "T", "mode", "corpus tokens", "steps/epoch",
                    "tokens/epoch", "FLOP/token", "lr",
                ], rows))
        if let path = json {
            try Report.writeConfigurationsJSON(configs.map { BenchResult.Configuration($0, seed: seed) }, to: path)
        }
    }
}

extension GEMMBackend: ExpressibleByArgument {}

/// Progress and warnings go to standard error so that standard output holds only the tables.
enum Log {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
