import ArgumentParser
import Linalg
import RNN

extension Nonlinearity: ExpressibleByArgument {}
extension RecurrentInitialization: ExpressibleByArgument {}

/// The optimizers `charrnn train --optimizer` accepts (PyTorch defaults besides `--lr`).
enum OptimizerName: String, CaseIterable, ExpressibleByArgument {
    case adam, sgd, adagrad, rmsprop
}

/// `--threads`, shared by every subcommand.
struct RuntimeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Number of OpenBLAS threads (default: OpenBLAS's own choice, usually one per core). Small models often run fastest with 1.", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads { try Check.range(threads, 1...1024, "--threads") }
    }

    /// Sets `BLASThreads.count` when `--threads` was given.
    func apply() {
        if let threads { BLASThreads.count = threads }
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
    static func positive(_ value: Float, _ option: String, allowZero: Bool = false, maximum: Float = .greatestFiniteMagnitude, meaning: String = "") throws {
        let ok = value.isFinite && (allowZero ? value >= 0 : value > 0) && value <= maximum
        guard ok else {
            let what = allowZero ? "a finite number >= 0" : "a finite number > 0"
            let upper = maximum < .greatestFiniteMagnitude ? " and <= \(Format.number(maximum))" : ""
            throw CLIError("\(option) must be \(what)\(upper)\(meaning) (got \(Format.number(value)))")
        }
    }
}
