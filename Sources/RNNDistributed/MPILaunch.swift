import Foundation

/// What the MPI launcher told this process through its environment, read before MPI is
/// initialized (so a program can refuse `--distributed` without `mpirun` cleanly).
public enum MPILaunch {
    /// Whether an MPI launcher started this process: Open MPI's `mpirun` sets
    /// `OMPI_COMM_WORLD_SIZE`, PMIx-based launchers (`prterun`, `srun --mpi=pmix`) `PMIX_RANK`.
    public static var isPresent: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// The launcher's rank of this process (`OMPI_COMM_WORLD_RANK` or `PMIX_RANK`), or nil.
    public static var rank: Int? {
        let environment = ProcessInfo.processInfo.environment
        return (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"]).flatMap { Int($0) }
    }
}
