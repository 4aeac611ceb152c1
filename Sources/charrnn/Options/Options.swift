import ArgumentParser
import Linalg
import RNN
import _ToolSupport

extension RecurrentInitialization: ExpressibleByArgument {}
extension GEMMBackend: ExpressibleByArgument {}

/// `charrnn train --optimizer`: the library's optimizers (PyTorch defaults besides `--lr`).

/// `--threads` and `--gemm`, shared by every subcommand.
struct RuntimeOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Number of threads (default: one per core). Training splits each batch across them (at least 16 streams per thread) when a step is big enough; otherwise the GEMM library uses them inside each matrix product. eval and sample split every step across them: by hidden units (each thread reading its share of the weights), or by streams from 32 per thread.",
            valueName: "n"))
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "Library for the matrix products: openblas, onednn (JIT, AVX-512 where the CPU has it) or auto (oneDNN where it runs AVX-512 code, else OpenBLAS). Default: the environment variable SWIFT_RNN_GEMM, else auto.",
            valueName: "backend"))
    var gemm: GEMMBackend?

    func validate() throws {
        if let threads { try OptionTable.threads.check(threads) }
        do { _ = try GEMM.choice(option: gemm) } catch { throw CLIError("\(error); unset it or pass --gemm") }
        if let problem = KernelVariant.environmentProblem { throw CLIError(problem) }
    }

    /// Selects the GEMM backend (`--gemm`, else `SWIFT_RNN_GEMM`, else auto) and sets
    /// `ComputeThreads.count` when `--threads` was given: at most one per processor (more
    /// only oversubscribe the cores, and each costs thread stacks and GEMM buffers), with
    /// a warning when capped.
    func apply() {
        GEMM.select((try? GEMM.choice(option: gemm)) ?? .automatic)  // validate() refused a bad one
        guard let threads else { return }
        let processors = ComputeThreads.processorCount
        if threads > processors {
            Console.warning("--threads \(threads) is more than the \(processors) processors here; using \(processors)")
        }
        ComputeThreads.count = min(threads, processors)
    }
}

/// `--skip-unknown`, for subcommands that encode text with a checkpoint's vocabulary.
struct UnknownCharacterOptions: ParsableArguments {
    @Flag(help: "Drop characters that are not in the checkpoint's vocabulary (with a warning) instead of stopping with an error.")
    var skipUnknown = false
}

/// Checks of option values with messages that say what is allowed.
enum Check {
    static func range(_ value: Int, _ range: ClosedRange<Int>, _ option: String) throws {
        guard range.contains(value) else {
            throw CLIError("\(option) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    static func atLeast(_ value: Int, _ minimum: Int, _ option: String) throws {
        guard value >= minimum else { throw CLIError("\(option) must be at least \(minimum) (got \(value))") }
    }

    /// A finite number `> 0` (or `>= 0` with `allowZero`), at most `maximum`.
    static func positive(
        _ value: Float, _ option: String, allowZero: Bool = false, maximum: Float = .greatestFiniteMagnitude, meaning: String = ""
    ) throws {
        let ok = value.isFinite && (allowZero ? value >= 0 : value > 0) && value <= maximum
        guard ok else {
            let what = allowZero ? "a finite number >= 0" : "a finite number > 0"
            let upper = maximum < .greatestFiniteMagnitude ? " and <= \(Format.number(maximum))" : ""
            throw CLIError("\(option) must be \(what)\(upper)\(meaning) (got \(Format.number(value)))")
        }
    }

    /// `--nonlinearity relu` and `--init identity` are for the vanilla RNN: GRU and LSTM
    /// have fixed sigmoid/tanh activations, and an identity `W_hh` is the IRNN recipe.
    /// `resumed` names the checkpoint the cell came from, if it did.
    static func vanillaOnly(
        cell: RecurrentCell, nonlinearity: Nonlinearity?, initialization: RecurrentInitialization?,
        resumed: String? = nil
    ) throws {
        guard cell != .rnn else { return }
        let which = resumed.map { "the resumed checkpoint '\($0)' is a \(cell.displayName), which" } ?? "--cell \(cell.rawValue)"
        if let nonlinearity, nonlinearity != .tanh {
            throw CLIError(
                "--nonlinearity \(nonlinearity.rawValue) applies to the vanilla RNN only (--cell rnn); \(which) has fixed sigmoid/tanh gate activations, so omit --nonlinearity"
            )
        }
        if initialization == .identity {
            throw CLIError(
                "--init identity applies to the vanilla RNN only (--cell rnn, the IRNN recipe); \(which) takes --init default or --init orthogonal"
            )
        }
    }
}
