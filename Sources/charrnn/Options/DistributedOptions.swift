import ArgumentParser
import _ToolSupport

/// `charrnn train --distributed`: data-parallel training over MPI, the ranks started by
/// `mpirun -np N` (see `DistributedRun`).
struct DistributedOptions: ParsableArguments {
    @Flag(
        help:
            "Train data-parallel over MPI: start with mpirun -np N charrnn train --data FILE --distributed. Each rank trains its contiguous share of the --batch-size streams (the global batch stays --batch-size, the same step as one process up to rounding); rank 0 prints and writes the checkpoints."
    )
    var distributed = false

    @Option(
        name: .customLong("mpi-timeout"), parsing: .unconditional,
        help: ArgumentHelp(
            "--distributed: seconds a rank waits for the others in one exchange before it stops with an error (a rank died or hangs) (default: 300).",
            valueName: "s"))
    var mpiTimeout: Double?

    func validate() throws {
        if let mpiTimeout, !(mpiTimeout >= 1 && mpiTimeout <= 86_400) {
            throw CLIError("--mpi-timeout must be between 1 and 86400 seconds (got \(mpiTimeout))")
        }
        if mpiTimeout != nil && !distributed { throw CLIError("--mpi-timeout applies to --distributed runs only") }
    }
}
