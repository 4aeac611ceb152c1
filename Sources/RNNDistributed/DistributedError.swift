/// Why a distributed run could not start or continue.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// The process was not started by an MPI launcher (`mpirun`/`mpiexec`): none of the
    /// variables Open MPI (`OMPI_COMM_WORLD_SIZE`) or PMIx (`PMIX_RANK`) set is present.
    case notLaunchedByMPI
    /// An MPI call returned an error: the call, Open MPI's error text.
    case mpi(call: String, message: String)
    /// A rank count this run cannot use (e.g. more ranks than sequences in a batch).
    case rankCount(ranks: Int, reason: String)

    public var description: String {
        switch self {
        case .notLaunchedByMPI:
            return
                "this process was not started by mpirun (no OMPI_COMM_WORLD_SIZE or PMIX_RANK in the environment); run it as: mpirun -np N <program> ..."
        case .mpi(let call, let message):
            return "\(call) failed: \(message) (a rank has probably died or lost its connection)"
        case .rankCount(let ranks, let reason):
            return "\(ranks) ranks: \(reason)"
        }
    }
}
